import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.lib.http import render_form
from tengja.professionals import services
from tengja.professionals.forms import (
    BusinessDetailsForm,
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
    # The form works on a copy: a refused change never shows as if it were made.
    form = SessionTypeForm(
        request.POST or None, instance=copy.copy(instance), professional=professional
    )
    if request.method == "POST" and form.is_valid():
        fields = ("name", "duration_minutes", "price_amount", "currency", "mode")
        services.session_type_save(
            professional=professional,
            session_type=instance,
            cancellation_notice_hours=form.cleaned_data["cancellation_notice_hours"],
            **{field: form.cleaned_data[field] for field in fields},
        )
        messages.success(request, _("The session type has been saved."))
        return redirect("bookings:practice")
    return render_form(
        request, "professionals/session_type.html", {"form": form, "session_type": instance}, form
    )


@login_required
@require_POST
def session_type_offered(request: HttpRequest, code: str, offered: bool) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    session_type = session_type_for_professional(professional=professional, code=code)
    services.session_type_set_offered(session_type=session_type, offered=offered)
    return redirect("bookings:practice")


def _availability_page(request: HttpRequest, professional, **forms) -> HttpResponse:
    """Weekly hours (in the professional's own time zone) and exceptions. Prefixes
    keep the two forms' field ids (and so their labels) apart."""
    context = {
        "windows": professional.weekly_availability.all(),
        "exceptions": professional.availability_exceptions.all(),
        "window_form": forms.get("window_form") or WeeklyWindowForm(prefix="window"),
        "exception_form": forms.get("exception_form") or ExceptionForm(prefix="exception"),
    }
    return render_form(request, "professionals/availability.html", context, *forms.values())


@login_required
def availability(request: HttpRequest) -> HttpResponse:
    return _availability_page(request, professional_for_user(user=request.user))


@login_required
@require_POST
def availability_window_add(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = WeeklyWindowForm(request.POST, prefix="window")
    if not form.is_valid():
        return _availability_page(request, professional, window_form=form)
    services.availability_window_add(professional=professional, **form.cleaned_data)
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_window_remove(request: HttpRequest, code: str) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    services.availability_window_remove(professional=professional, code=code)
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_exception_add(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = ExceptionForm(request.POST, prefix="exception")
    if not form.is_valid():
        return _availability_page(request, professional, exception_form=form)
    services.availability_exception_add(professional=professional, **form.cleaned_data)
    return redirect("professionals:availability")


@login_required
@require_POST
def availability_exception_remove(request: HttpRequest, code: str) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    services.availability_exception_remove(professional=professional, code=code)
    return redirect("professionals:availability")


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
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
def business_details(request: HttpRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = BusinessDetailsForm(request.POST or None, instance=copy.copy(professional))
    if request.method == "POST" and form.is_valid():
        services.professional_business_update(professional=professional, **form.cleaned_data)
        messages.success(request, _("Your invoice details have been saved."))
        return redirect("bookings:practice")
    return render_form(request, "professionals/business_details.html", {"form": form}, form)
