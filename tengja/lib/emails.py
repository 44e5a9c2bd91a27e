"""Every e-mail Tengja sends is rendered and delivered here.

Each e-mail has three templates, `emails/<name>-subject.html`, `-body-text.html`
and `-body-html.html`, rendered in the recipient's language and time zone.
Delivery runs in a background task enqueued once the surrounding transaction
commits, so nothing is sent for a write that rolled back.

Task arguments are stored in the database until the task has run, so an e-mail
that carries a secret link (password reset, e-mail change, invitation) is not
rendered here: its own task makes the token while sending and calls
`email_deliver_now`, so the token exists only in that e-mail.
"""

import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task


def email_render(
    *, template: str, context: dict, language: str | None, time_zone: str | None
) -> tuple[str, str, str]:
    """Subject, text and HTML of an e-mail, in the given language and time zone."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    tz = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(tz):
        subject = render_to_string(f"emails/{template}-subject.html", context)
        text = render_to_string(f"emails/{template}-body-text.html", context)
        html = render_to_string(f"emails/{template}-body-html.html", context)
    return " ".join(subject.split()), text, html


def email_deliver_now(*, to: str, subject: str, text: str, html: str) -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def email_send(
    *,
    template: str,
    to: str,
    context: dict,
    language: str | None = None,
    time_zone: str | None = None,
) -> None:
    """Render now and deliver in the background after commit. No secrets in `context`."""
    subject, text, html = email_render(
        template=template, context=context, language=language, time_zone=time_zone
    )
    transaction.on_commit(
        lambda: email_deliver.enqueue(subject=subject, text=text, html=html, to=to)
    )


@task()
def email_deliver(*, subject: str, text: str, html: str, to: str) -> None:
    email_deliver_now(to=to, subject=subject, text=text, html=html)
