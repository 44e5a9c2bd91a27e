from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

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
