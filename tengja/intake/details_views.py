"""Required details: the professional's choice, and the client's form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tengja.accounts.requests import AuthenticatedRequest
from tengja.intake.details import (
    ClientDetailsForm,
    RequiredDetailsForm,
    client_details_of,
    client_details_save,
    details_required_set,
    professional_for_details,
    required_of,
)
from tengja.lib.http import render_form, safe_next
from tengja.professionals.selectors import professional_for_user


@login_required
def required(request: AuthenticatedRequest) -> HttpResponse:
    """The professional picks what every client must give before their next session."""
    professional = professional_for_user(user=request.user)
    form = RequiredDetailsForm(
        request.POST or None, initial={"required_details": required_of(professional)}
    )
    if request.method == "POST" and form.is_valid():
        details_required_set(
            professional=professional, details=form.cleaned_data["required_details"]
        )
        messages.success(request, _("Saved: clients are asked for these details."))
        return redirect("intake:details_required")
    return render_form(
        request, "intake/details_required.html", {"form": form, "professional": professional}, form
    )


@login_required
def give(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The client gives one professional the details they ask for."""
    professional = professional_for_details(user=request.user, code=code)
    details = client_details_of(professional=professional, client=request.user)
    form = ClientDetailsForm(request.POST or None, instance=details, professional=professional)
    if request.method == "POST" and form.is_valid():
        client_details_save(
            professional=professional,
            client=request.user,
            values={name: form.cleaned_data[name] for name in form.fields},
        )
        messages.success(
            request,
            _("Thank you: %(name)s has your details.") % {"name": professional.user.name},
        )
        return redirect(safe_next(request, request.path))
    return render_form(
        request,
        "intake/details_form.html",
        {
            "form": form,
            "professional": professional,
            "next": safe_next(request, ""),
            "required": bool(required_of(professional)),
        },
        form,
    )
