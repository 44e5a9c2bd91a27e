from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` address of a request if it stays on this site, else the fallback."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def render_form(
    request: HttpRequest, template_name: str, context: dict, *forms: BaseForm | None
) -> HttpResponse:
    """A page with forms: 400 when one of them has errors (the request was refused
    and nothing changed), else 200."""
    refused = any(form is not None and form.errors for form in forms)
    return render(request, template_name, context, status=400 if refused else 200)
