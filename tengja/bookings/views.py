from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.forms import signup_time_zone
from tengja.accounts.models import User
from tengja.bookings import services
from tengja.bookings.forms import InvitationSignUpForm, InviteForm, MoveForm
from tengja.bookings.models import Booking
from tengja.bookings.selectors import booking_for_user, bookings_upcoming_for_professional
from tengja.lib.http import render_form
from tengja.professionals.selectors import professional_for_user


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    booking = booking_for_user(user=request.user, code=code)
    role = booking.role_of(request.user)
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "is_professional": role == Booking.Role.PROFESSIONAL,
            "can_cancel": booking.cancel_refusal(role) is None,
        },
    )


@login_required
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    """GET asks for confirmation (warning about a late cancellation); POST cancels."""
    booking = booking_for_user(user=request.user, code=code)
    is_professional = booking.role_of(request.user) == Booking.Role.PROFESSIONAL
    if request.method == "POST":
        try:
            booking = services.booking_cancel(booking=booking, by=request.user)
        except services.BookingError as error:
            messages.error(request, str(error))
        else:
            if booking.late_cancellation:
                messages.success(
                    request,
                    _(
                        "The session is cancelled. As it was within the notice period, it stays payable."
                    ),
                )
            else:
                messages.success(request, _("The session is cancelled."))
        return redirect("bookings:detail", code=booking.code)
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "is_professional": is_professional,
            "late": not is_professional and booking.is_late_for_client(),
        },
    )


def _professional_booking(request: HttpRequest, code: str):
    booking = booking_for_user(user=request.user, code=code)
    if booking.role_of(request.user) != Booking.Role.PROFESSIONAL:
        raise Http404
    return booking


@login_required
def move(request: HttpRequest, code: str) -> HttpResponse:
    booking = _professional_booking(request, code)
    form = MoveForm(request.POST or None, initial={"starts_at": booking.starts_at})
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_move(
                booking=booking, by=request.user, starts_at=form.cleaned_data["starts_at"]
            )
        except services.BookingError as error:
            form.add_error("starts_at", str(error))
        else:
            messages.success(request, _("The session has been moved and the client told."))
            return redirect("bookings:detail", code=booking.code)
    return render_form(request, "bookings/move.html", {"booking": booking, "form": form}, form)


@login_required
@require_POST
def resend(request: HttpRequest, code: str) -> HttpResponse:
    booking = _professional_booking(request, code)
    try:
        services.invitation_resend(booking=booking)
    except services.BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link has been sent; the old one no longer works."))
    return redirect("bookings:detail", code=booking.code)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a booking confirmation e-mail (see services.booking_invite)."""
    try:
        invite = services.invitation_for_token(token=token)
        if request.user.is_authenticated:
            booking = services.invitation_accept_existing(token=token, user=request.user)
            return redirect("bookings:detail", code=booking.code)
        has_account = (
            invite.accepted_at is not None
            or invite.booking.client_id is not None
            or User.objects.filter(email=invite.email).exists()
        )
        if has_account:
            return _to_sign_in(request, invite)
        form = InvitationSignUpForm(
            request.POST or None, email=invite.email, **signup_time_zone(request)
        )
        if request.method == "POST" and form.is_valid():
            user = services.invitation_accept_new_client(
                token=token,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                language=request.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Tengja, %(name)s.") % {"name": user.name})
            return redirect("bookings:detail", code=invite.booking.code)
    except services.InvitationProblem as problem:
        return render(
            request,
            "bookings/invitation_problem.html",
            {"problem": problem, "invitation": problem.invitation},
            status=400,
        )
    return render_form(
        request, "bookings/invitation_signup.html", {"form": form, "invitation": invite}, form
    )


def _to_sign_in(request: HttpRequest, invite) -> HttpResponse:
    target = reverse("bookings:detail", kwargs={"code": invite.booking.code})
    return redirect(f"{reverse('accounts:login')}?next={target}")


PRACTICE_NEXT = 10


@login_required
def practice(request: HttpRequest) -> HttpResponse:
    """The professional's own page: the next sessions (the week view has them all),
    session types, hours and profile, and the invitation button."""
    professional = professional_for_user(user=request.user)
    upcoming = bookings_upcoming_for_professional(professional=professional)[:PRACTICE_NEXT]
    return render(
        request,
        "bookings/practice.html",
        {
            "professional": professional,
            "upcoming": upcoming,
            "session_types": professional.session_types.all(),
        },
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    # ?email= comes from a client's page ("Invite to another session").
    form = InviteForm(
        request.POST or None,
        professional=professional,
        initial={"email": request.GET.get("email", "")[:254]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_invite(
                professional=professional,
                session_type=form.cleaned_data["session_type"],
                starts_at=form.cleaned_data["starts_at"],
                email=form.cleaned_data["email"],
            )
        except services.BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s.")
                % {"email": booking.invitation.email},
            )
            return redirect("bookings:detail", code=booking.code)
    has_types = professional.session_types.filter(is_active=True).exists()
    return render_form(
        request,
        "bookings/invite.html",
        {"form": form, "has_types": has_types, "paused": not professional.is_active},
        form,
    )
