import copy
from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.backends import USER_BACKEND
from tengja.accounts.forms import InvitedSignUpForm, signup_time_zone
from tengja.accounts.models import User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.lib.http import render_form
from tengja.lib.limits import signup_allowed
from tengja.professionals import services
from tengja.professionals.forms import (
    BookingPageForm,
    BusinessDetailsForm,
    CalendarRulesForm,
    ExceptionForm,
    ProfessionalInviteForm,
    ProfessionalProfileForm,
    SessionTypeForm,
    TimeOffForm,
    WeeklyWindowForm,
)
from tengja.professionals.selectors import (
    availability_exception_for_professional,
    availability_exceptions_current,
    professional_by_code,
    professional_for_user,
    professional_invitation_open,
    professional_invitations_open,
    professional_public,
    professionals_for_staff,
    session_type_for_professional,
    sessions_in_time_off,
)


def public_profile(request: HttpRequest, code: str) -> HttpResponse:
    return render(
        request,
        "professionals/public_profile.html",
        {"professional": professional_public(code=code)},
    )


@login_required
def session_type_edit(request: AuthenticatedRequest, code: str | None = None) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    instance = session_type_for_professional(professional=professional, code=code) if code else None
    # The form works on a copy: a refused change never shows as if it were made.
    form = SessionTypeForm(
        request.POST or None, instance=copy.copy(instance), professional=professional
    )
    if request.method == "POST" and form.is_valid():
        fields = ("name", "duration_minutes", "price_amount", "currency", "mode", "address")
        services.session_type_save(
            professional=professional,
            session_type=instance,
            cancellation_notice_hours=form.cleaned_data["cancellation_notice_hours"],
            booking_mode=form.cleaned_data["booking_mode"] or None,
            existing_clients_only=form.cleaned_data["existing_clients_only"],
            **{field: form.cleaned_data[field] for field in fields},
        )
        messages.success(request, _("The session type has been saved."))
        return redirect("bookings:practice")
    return render_form(
        request, "professionals/session_type.html", {"form": form, "session_type": instance}, form
    )


@login_required
def booking_page(request: AuthenticatedRequest) -> HttpResponse:
    """The booking page's settings: on or off, its address, the booking limits."""
    professional = professional_for_user(user=request.user)
    # The form works on a copy: a refused change never shows as if it were made.
    form = BookingPageForm(request.POST or None, instance=copy.copy(professional))
    if request.method == "POST" and form.is_valid():
        services.booking_page_update(professional=professional, **form.cleaned_data)
        messages.success(request, _("Your booking page settings have been saved."))
        return redirect("professionals:booking_page")
    return render_form(
        request,
        "professionals/booking_page.html",
        {"form": form, "professional": professional},
        form,
    )


@login_required
@require_POST
def session_type_offered(request: AuthenticatedRequest, code: str, offered: bool) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    session_type = session_type_for_professional(professional=professional, code=code)
    services.session_type_set_offered(session_type=session_type, offered=offered)
    return redirect("bookings:practice")


def _availability_page(request: HttpRequest, professional, **forms) -> HttpResponse:
    """Calendar rules, weekly hours (in the professional's own time zone), time off
    and extra hours. Prefixes keep the forms' field ids (and so their labels) apart.

    After time off is added (?added=<its code>), the sessions it covers are
    listed, to be moved or cancelled: they are neither kept quietly nor cancelled."""
    today = timezone.localdate()
    time_off, extra = availability_exceptions_current(professional=professional, today=today)
    added = next((t for t in time_off if t.code == request.GET.get("added")), None)
    context = {
        "professional": professional,
        "windows": professional.weekly_availability.all(),
        "time_off": time_off,
        "exceptions": extra,
        "added": added,
        "in_time_off": (
            sessions_in_time_off(professional=professional, time_off=added) if added else []
        ),
        "rules_form": forms.get("rules_form")
        or CalendarRulesForm(instance=professional, prefix="rules"),
        "window_form": forms.get("window_form") or WeeklyWindowForm(prefix="window"),
        "time_off_form": forms.get("time_off_form") or TimeOffForm(prefix="off", today=today),
        "exception_form": forms.get("exception_form") or ExceptionForm(prefix="exception"),
    }
    return render_form(request, "professionals/availability.html", context, *forms.values())


@login_required
def availability(request: AuthenticatedRequest) -> HttpResponse:
    return _availability_page(request, professional_for_user(user=request.user))


@login_required
@require_POST
def calendar_rules(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    # The form works on a copy: a refused change never shows as if it were made.
    form = CalendarRulesForm(request.POST, instance=copy.copy(professional), prefix="rules")
    if not form.is_valid():
        return _availability_page(request, professional, rules_form=form)
    services.calendar_rules_update(professional=professional, **form.cleaned_data)
    messages.success(request, _("Your calendar rules have been saved."))
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_window_add(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = WeeklyWindowForm(request.POST, prefix="window")
    if not form.is_valid():
        return _availability_page(request, professional, window_form=form)
    services.availability_window_add(professional=professional, **form.cleaned_data)
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_window_remove(request: AuthenticatedRequest, code: str) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    services.availability_window_remove(professional=professional, code=code)
    return redirect("professionals:availability")


@login_required
@require_POST
def time_off_add(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = TimeOffForm(request.POST, prefix="off", today=timezone.localdate())
    if not form.is_valid():
        return _availability_page(request, professional, time_off_form=form)
    time_off = services.availability_exception_add(professional=professional, **form.cleaned_data)
    messages.success(request, _("Your time off has been added."))
    return redirect(reverse("professionals:availability") + f"?added={time_off.code}#time-off")


@login_required
@require_POST
def availability_exception_add(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = ExceptionForm(request.POST, prefix="exception")
    if not form.is_valid():
        return _availability_page(request, professional, exception_form=form)
    services.availability_exception_add(professional=professional, **form.cleaned_data)
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_exception_remove(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Remove time off or extra hours: the professional's own, else 404."""
    professional = professional_for_user(user=request.user)
    exception = availability_exception_for_professional(professional=professional, code=code)
    services.availability_exception_remove(exception=exception)
    return redirect("professionals:availability")


@login_required
def profile_edit(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = ProfessionalProfileForm(request.POST or None, instance=copy.copy(professional))
    if request.method == "POST" and form.is_valid():
        services.professional_profile_update(professional=professional, **form.cleaned_data)
        messages.success(request, _("Your public profile has been saved."))
        return redirect("professionals:public", code=professional.code)
    return render_form(
        request,
        "professionals/profile_edit.html",
        {"form": form, "professional": professional},
        form,
    )


@login_required
def business_details(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = BusinessDetailsForm(request.POST or None, instance=copy.copy(professional))
    if request.method == "POST" and form.is_valid():
        services.professional_business_update(professional=professional, **form.cleaned_data)
        messages.success(request, _("Your invoice details have been saved."))
        return redirect("bookings:practice")
    return render_form(request, "professionals/business_details.html", {"form": form}, form)


# ------------------------------------------------------------------ joining


def join(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an operator's invitation: a new address creates its account; the
    owner of an existing one signs in first, then accepts."""
    try:
        invitation = services.professional_invitation_for_token(token=token)
        if request.user.is_authenticated:
            if request.user.email.lower() != invitation.email.lower():
                raise services.JoinProblem(services.JoinProblem.Kind.MISMATCH, invitation)
            if request.method == "POST":
                services.professional_join_existing(token=token, user=request.user)
                messages.success(request, _("You are a professional on Tengja now."))
                return redirect("dashboard:home")
            return render(request, "professionals/join_accept.html", {"invitation": invitation})
        if User.objects.filter(email=invitation.email).exists():
            target = reverse("professionals:join", kwargs={"token": token})
            return redirect(f"{reverse('accounts:login')}?next={quote(target)}")
        form = InvitedSignUpForm(
            request.POST or None, email=invitation.email, **signup_time_zone(request)
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and signup_allowed(request=request, form=form)
        ):
            user = services.professional_join_new(
                token=token,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                language=request.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
            )
            login(request, user, backend=USER_BACKEND)
            messages.success(request, _("Welcome to Tengja, %(name)s.") % {"name": user.name})
            return redirect("dashboard:home")
    except services.JoinProblem as problem:
        return render(
            request,
            "professionals/join_problem.html",
            {"problem": problem, "invitation": problem.invitation},
            status=400,
        )
    return render_form(
        request, "professionals/join.html", {"form": form, "invitation": invitation}, form
    )


# ------------------------------------------------------------------ for operators


def staff_only(view):
    """For Tengja's operators (staff users); 404 for anyone else."""

    @wraps(view)
    @login_required
    def wrapper(request: AuthenticatedRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _staff_page(request: HttpRequest, form: ProfessionalInviteForm | None = None) -> HttpResponse:
    professionals = Paginator(professionals_for_staff(), 50).get_page(request.GET.get("page"))
    return render_form(
        request,
        "professionals/staff.html",
        {
            "form": form or ProfessionalInviteForm(initial={"language": request.LANGUAGE_CODE}),
            "professionals": professionals,
            "invitations": professional_invitations_open(),
        },
        form,
    )


@staff_only
def staff_professionals(request: AuthenticatedRequest) -> HttpResponse:
    """The professionals, the invitations not yet accepted, and the invite form."""
    return _staff_page(request)


@require_POST
@staff_only
def staff_invite(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfessionalInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.professional_invite(
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                invited_by=request.user,
            )
        except services.ProfessionalError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect("professionals:staff")
    return _staff_page(request, form)


@require_POST
@staff_only
def staff_invitation_resend(request: AuthenticatedRequest, code: str) -> HttpResponse:
    invitation = professional_invitation_open(code=code)
    services.professional_invitation_resend(invitation=invitation)
    messages.success(
        request,
        _("The invitation to %(email)s has been sent again; the old link no longer works.")
        % {"email": invitation.email},
    )
    return redirect("professionals:staff")


@require_POST
@staff_only
def staff_invitation_revoke(request: AuthenticatedRequest, code: str) -> HttpResponse:
    invitation = professional_invitation_open(code=code)
    services.professional_invitation_revoke(invitation=invitation)
    messages.success(
        request,
        _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email},
    )
    return redirect("professionals:staff")


@require_POST
@staff_only
def staff_set_active(request: AuthenticatedRequest, code: str, active: bool) -> HttpResponse:
    professional = professional_by_code(code=code)
    services.professional_set_active(professional=professional, active=active)
    name = professional.user.name or professional.user.email
    if active:
        message = _("%(name)s takes new bookings again.") % {"name": name}
    else:
        message = _(
            "%(name)s takes no new bookings now. Sessions already booked go on as planned."
        ) % {"name": name}
    messages.success(request, message)
    return redirect("professionals:staff")
