from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from tengja.devmail.mailbox import Mail, mailbox_allowed, mailbox_get, mailbox_list


def _mail_or_404(request: HttpRequest, name: str) -> Mail:
    if not mailbox_allowed(request.META.get("REMOTE_ADDR", "")):
        raise Http404
    mail = mailbox_get(name)
    if mail is None:
        raise Http404
    return mail


def inbox(request: HttpRequest) -> HttpResponse:
    """Development only: every e-mail the system wrote to var/mail/, newest first."""
    if not mailbox_allowed(request.META.get("REMOTE_ADDR", "")):
        raise Http404
    return render(request, "devmail/inbox.html", {"mails": mailbox_list()})


def message(request: HttpRequest, name: str) -> HttpResponse:
    return render(request, "devmail/message.html", {"mail": _mail_or_404(request, name)})


@xframe_options_sameorigin
# django-csp types its decorators for views that take the request alone.
@csp_replace(  # type: ignore[arg-type]
    {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "frame-ancestors": ["'self'"],
        "script-src": ["'none'"],
    }
)
def message_html(request: HttpRequest, name: str) -> HttpResponse:
    """The HTML part on its own, shown in a sandboxed frame; no script may run in it."""
    return HttpResponse(_mail_or_404(request, name).html)
