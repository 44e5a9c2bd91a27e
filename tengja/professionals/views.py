from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tengja.bookings import services as booking_services
from tengja.bookings.forms import InviteForm
from tengja.bookings.selectors import bookings_upcoming_for_professional
from tengja.professionals.forms import ProfessionalProfileForm, SessionTypeForm
from tengja.professionals.selectors import (
    professional_for_user,
    professional_public,
    session_type_for_professional,
)


def public_profile(request: HttpRequest, code: str) -> HttpResponse:
    return render(
        request,
        "professionals/public_profile.html",
        {"professional": professional_public(code=code)},
    )


@login_required
def practice(request: HttpRequest) -> HttpResponse:
    """The professional's own page: upcoming sessions and the invitation button."""
    professional = professional_for_user(user=request.user)
    upcoming = bookings_upcoming_for_professional(professional=professional)[:50]
    return render(
        request,
        "professionals/practice.html",
        {
            "professional": professional,
            "upcoming": upcoming,
            "session_types": professional.session_types.all(),
        },
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = InviteForm(request.POST or None, professional=professional)
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_services.booking_invite(
                professional=professional,
                session_type=form.cleaned_data["session_type"],
                starts_at=form.cleaned_data["starts_at"],
                email=form.cleaned_data["email"],
            )
        except booking_services.BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s.")
                % {"email": booking.invitation.email},
            )
            return redirect("bookings:detail", code=booking.code)
    has_types = professional.session_types.filter(is_active=True).exists()
    return render(
        request,
        "professionals/invite.html",
        {"form": form, "has_types": has_types},
        status=400 if form.errors else 200,
    )


@login_required
def session_type_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    instance = session_type_for_professional(professional=professional, code=code) if code else None
    form = SessionTypeForm(request.POST or None, instance=instance, professional=professional)
    if request.method == "POST":
        if "toggle" in request.POST and instance is not None:
            instance.is_active = not instance.is_active
            instance.save(update_fields=["is_active"])
            return redirect("professionals:practice")
        if form.is_valid():
            form.save()
            messages.success(request, _("The session type has been saved."))
            return redirect("professionals:practice")
    return render(
        request,
        "professionals/session_type.html",
        {"form": form, "session_type": instance},
        status=400 if form.errors else 200,
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = ProfessionalProfileForm(request.POST or None, instance=professional)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your public profile has been saved."))
        return redirect("professionals:public", code=professional.code)
    return render(
        request,
        "professionals/profile_edit.html",
        {"form": form, "professional": professional},
        status=400 if form.errors else 200,
    )
