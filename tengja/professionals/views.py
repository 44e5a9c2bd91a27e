from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tengja.professionals.forms import (
    ExceptionForm,
    ProfessionalProfileForm,
    SessionTypeForm,
    WeeklyWindowForm,
)
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
def session_type_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    instance = session_type_for_professional(professional=professional, code=code) if code else None
    form = SessionTypeForm(request.POST or None, instance=instance, professional=professional)
    if request.method == "POST":
        if "toggle" in request.POST and instance is not None:
            instance.is_active = not instance.is_active
            instance.save(update_fields=["is_active"])
            return redirect("bookings:practice")
        if form.is_valid():
            form.save()
            messages.success(request, _("The session type has been saved."))
            return redirect("bookings:practice")
    return render(
        request,
        "professionals/session_type.html",
        {"form": form, "session_type": instance},
        status=400 if form.errors else 200,
    )


@login_required
def availability(request: HttpRequest) -> HttpResponse:
    """Weekly hours (in the professional's own time zone) and exceptions."""
    professional = professional_for_user(user=request.user)
    action = request.POST.get("form")
    # Prefixes keep the two forms' field ids (and so their labels) apart.
    window_form = WeeklyWindowForm(request.POST if action == "window" else None, prefix="window")
    exception_form = ExceptionForm(
        request.POST if action == "exception" else None, prefix="exception"
    )
    if request.method == "POST":
        if action == "window" and window_form.is_valid():
            window_form.instance.professional = professional
            window_form.save()
            return redirect("professionals:availability")
        if action == "exception" and exception_form.is_valid():
            exception_form.instance.professional = professional
            exception_form.save()
            return redirect("professionals:availability")
        if action == "window_remove":
            professional.weekly_availability.filter(pk=request.POST.get("id")).delete()
            return redirect("professionals:availability")
        if action == "exception_remove":
            professional.availability_exceptions.filter(pk=request.POST.get("id")).delete()
            return redirect("professionals:availability")
    return render(
        request,
        "professionals/availability.html",
        {
            "windows": professional.weekly_availability.all(),
            "exceptions": professional.availability_exceptions.all(),
            "window_form": window_form,
            "exception_form": exception_form,
        },
        status=400 if window_form.errors or exception_form.errors else 200,
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
