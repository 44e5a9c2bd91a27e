"""A professional's own booking page, open to anyone (issue 29): their
profile, session types and free times in the visitor's time zone; a time leads
to its confirm page, where a signed-in client books or asks, and a visitor
makes an account first (confirmed by e-mail before anything is booked)."""

import zoneinfo
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tengja.accounts.backends import USER_BACKEND
from tengja.accounts.forms import TimeZoneField
from tengja.accounts.middleware import TIME_ZONE_COOKIE, request_time_zone
from tengja.accounts.models import time_zone_names
from tengja.accounts.requests import AuthenticatedRequest
from tengja.accounts.zones import canonical_zone
from tengja.bookings import page as services
from tengja.bookings.forms import PageRequestForm, PageSignUpForm
from tengja.bookings.models import BookingRequest
from tengja.bookings.services import BookingError
from tengja.lib.http import render_form
from tengja.lib.limits import email_allowed, sign_in_blocked, sign_in_failed, signup_allowed
from tengja.professionals.models import Professional, SessionType


class ZoneForm(forms.Form):
    tz = TimeZoneField(label=gettext_lazy("Show times in"))


def _zone(request: HttpRequest) -> tuple[str, bool]:
    """The zone the page shows times in, and whether it is known (asked for in
    the address, the profile's, or the browser's cookie) rather than a guess the
    page's script should correct from the browser."""
    asked = request.GET.get("tz", "")[:64]
    if asked in time_zone_names():
        return canonical_zone(asked), True
    known = request.user.is_authenticated or TIME_ZONE_COOKIE in request.COOKIES
    return request_time_zone(request), known


def _week(request: HttpRequest) -> int:
    value = request.GET.get("week", "")
    return int(value) if value.isdigit() and int(value) <= services.PAGE_WEEKS else 0


def _query(**params) -> str:
    return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})


def page(request: HttpRequest, slug: str) -> HttpResponse:
    professional = services.booking_page(slug=slug)
    zone_name, zone_known = _zone(request)
    zone = zoneinfo.ZoneInfo(zone_name)
    week = _week(request)
    first_day = services.page_week_start(zone=zone, week=week)
    session_types = services.page_session_types(professional=professional)
    user = request.user if request.user.is_authenticated else None
    existing = any(t.existing_clients_only for t in session_types) and (
        services.is_existing_client(professional=professional, user=user)
    )
    refusals = {
        t.pk: services.page_refusal(
            professional=professional, session_type=t, user=user, existing=existing
        )
        for t in session_types
    }
    open_types = [t for t in session_types if refusals[t.pk] is None]
    with timezone.override(zone):
        free = services.page_free_times(
            professional=professional, session_types=open_types, first_day=first_day, zone=zone
        )
        zone_form = ZoneForm(initial={"tz": zone_name})
        zone_field = zone_form.fields["tz"]
        assert isinstance(zone_field, TimeZoneField)
        zone_field.show(zone_name)
        return render(
            request,
            "bookings/page.html",
            {
                "professional": professional,
                "types": [(t, refusals[t.pk], free.get(t.pk, [])) for t in session_types],
                "zone_name": zone_name,
                "zone_known": zone_known,
                "zone_form": zone_form,
                "tz": zone_name,
                "week": week,
                "first_day": first_day,
                "last_day": first_day + timedelta(days=services.PAGE_DAYS - 1),
                "previous": _query(tz=zone_name, week=week - 1) if week > 0 else "",
                "next": _query(tz=zone_name, week=week + 1) if week < services.PAGE_WEEKS else "",
            },
        )


def _time_page(
    request: HttpRequest,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime | None,
    zone_name: str,
    *,
    problem: str = "",
    form: forms.Form | None = None,
    status: int | None = None,
) -> HttpResponse:
    next_times = []
    if problem:
        next_times = services.page_next_times(
            professional=professional,
            session_type=session_type,
            after=starts_at or timezone.now(),
        )
    with timezone.override(zoneinfo.ZoneInfo(zone_name)):
        response = render(
            request,
            "bookings/page_time.html",
            {
                "professional": professional,
                "session_type": session_type,
                "by_request": session_type.booking_mode == SessionType.BookingMode.REQUEST,
                "starts_at": None if problem else starts_at,
                "ends_at": starts_at + session_type.duration if starts_at else None,
                "problem": problem,
                "next_times": next_times,
                "form": form,
                "tz": zone_name,
                "page_url": reverse("bookings:page", kwargs={"slug": professional.booking_slug})
                + _query(tz=zone_name),
            },
        )
    if status is not None:
        response.status_code = status
    elif form is not None and form.errors:
        response.status_code = 400
    return response


def page_time(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """One free time of one session type: what it is, and the button that books
    or asks for it (GET shows; POST does). A visitor makes an account here."""
    professional = services.booking_page(slug=slug)
    session_type = services.page_session_type(professional=professional, code=code)
    zone_name, _known = _zone(request)
    source = request.POST if request.method == "POST" else request.GET
    starts_at = services.page_chosen_time(source.get("at", ""))
    user = request.user if request.user.is_authenticated else None
    refusal = services.page_refusal(
        professional=professional,
        session_type=session_type,
        user=user,
        existing=session_type.existing_clients_only
        and services.is_existing_client(professional=professional, user=user),
    )
    if refusal:
        return _time_page(
            request, professional, session_type, None, zone_name, problem=refusal, status=403
        )
    by_request = session_type.booking_mode == SessionType.BookingMode.REQUEST
    if starts_at is None or not services.page_time_offered(
        professional=professional, session_type=session_type, starts_at=starts_at
    ):
        return _time_page(
            request,
            professional,
            session_type,
            starts_at,
            zone_name,
            # Sent from a page that offered it: taken since (a race's loser is told
            # the same, whether it lost here or under the professional's lock).
            problem=_("That time was just taken. Choose one of the next free times.")
            if request.method == "POST"
            else _("That time is not one of the free times. Choose one of the next free times."),
            status=409 if request.method == "POST" else 200,
        )
    if user is None:
        return _visitor(request, professional, session_type, starts_at, zone_name, by_request)
    form: forms.Form = PageRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if by_request:
                asked = services.page_request(
                    client=request.user,  # type: ignore[arg-type]
                    session_type=session_type,
                    starts_at=starts_at,
                    message=form.cleaned_data["message"],
                )
                return redirect("bookings:page_sent", code=asked.code)
            booking = services.page_book(
                client=request.user,  # type: ignore[arg-type]
                session_type=session_type,
                starts_at=starts_at,
            )
        except BookingError as error:
            return _time_page(
                request,
                professional,
                session_type,
                starts_at,
                zone_name,
                problem=str(error),
                status=409,
            )
        messages.success(request, _("Your session is booked."))
        return redirect("bookings:detail", code=booking.code)
    return _time_page(request, professional, session_type, starts_at, zone_name, form=form)


def _visitor(
    request: HttpRequest,
    professional: Professional,
    session_type: SessionType,
    starts_at: datetime,
    zone_name: str,
    by_request: bool,
) -> HttpResponse:
    """The account form on the way to a time; nothing is booked until the e-mail
    address is proven (the link in the e-mail)."""
    form = PageSignUpForm(request.POST or None, by_request=by_request)
    if request.method == "POST":
        check_email = redirect("bookings:page_check_email", slug=professional.booking_slug)
        if form.is_bot:
            return check_email  # nothing happens, and the bot is not told
        if form.is_valid() and signup_allowed(request=request, form=form):
            email = form.cleaned_data["email"]
            # Over the e-mail limits the answer is the same; only nothing is sent.
            if email_allowed(request=request, address=email):
                services.page_signup_start(
                    session_type=session_type,
                    starts_at=starts_at,
                    message=form.cleaned_data.get("message", ""),
                    name=form.cleaned_data["name"],
                    email=email,
                    password=form.cleaned_data["password"],
                    language=request.LANGUAGE_CODE,
                    time_zone=zone_name,
                )
            return check_email
    return _time_page(request, professional, session_type, starts_at, zone_name, form=form)


def page_check_email(request: HttpRequest, slug: str) -> HttpResponse:
    professional = services.booking_page(slug=slug)
    return render(request, "bookings/page_check_email.html", {"professional": professional})


class ConfirmSignupForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("The password you chose"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy(
            "The one you typed with your name on the booking page. If you did not ask "
            "for this, ignore the e-mail: nothing is made."
        ),
    )


def page_confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link does; POST, with the password chosen on the page
    typed again, does it (mail scanners only GET links, and a stranger who used
    the address cannot make its owner an account with their password): the
    account is made, signed in, and the time booked or asked for."""
    form = ConfirmSignupForm(request.POST or None)
    try:
        signup = services.page_signup_pending(token=token)
        if request.method == "POST" and form.is_valid():
            if sign_in_blocked(request=request):
                form.add_error(
                    "password",
                    _("Too many wrong passwords from your network. Try again in a while."),
                )
            else:
                try:
                    result = services.page_signup_confirm(
                        token=token, password=form.cleaned_data["password"]
                    )
                except services.SignupPasswordWrong:
                    sign_in_failed(request=request)
                    form.add_error(
                        "password", _("That is not the password you chose on the booking page.")
                    )
    except services.SignupProblem as error:
        return render(request, "accounts/link_problem.html", {"problem": str(error)}, status=400)
    if request.method != "POST" or not form.is_valid():
        with timezone.override(zoneinfo.ZoneInfo(signup.time_zone)):
            return render_form(
                request, "bookings/page_confirm_email.html", {"signup": signup, "form": form}, form
            )
    login(request, result.user, backend=USER_BACKEND)
    if result.booking is not None:
        messages.success(request, _("Your e-mail is confirmed and your session is booked."))
        return redirect("bookings:detail", code=result.booking.code)
    if result.request is not None:
        return redirect("bookings:page_sent", code=result.request.code)
    messages.success(request, _("Your e-mail is confirmed and your account is ready."))
    session_type = signup.session_type
    return _time_page(
        request,
        session_type.professional,
        session_type,
        signup.starts_at,
        result.user.time_zone,
        problem=result.error,
        status=409,
    )


@login_required
def page_sent(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The client's request has gone to the professional (theirs alone: 404 for others)."""
    asked = (
        BookingRequest.objects.select_related("professional__user", "session_type")
        .filter(code=code, client=request.user)
        .first()
    )
    if asked is None:
        raise Http404
    return render(request, "bookings/page_sent.html", {"asked": asked})
