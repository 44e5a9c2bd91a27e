"""Every e-mail Tengja sends goes through `email_send`.

Each e-mail has three templates, `emails/<name>-subject.html`, `-body-text.html`
and `-body-html.html`, rendered in the recipient's language and time zone.
Delivery runs in a background task, enqueued only once the surrounding
transaction commits, so nothing is sent for a write that rolled back.
"""

import zoneinfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task


def email_send(
    *,
    template: str,
    to: str,
    context: dict,
    language: str | None = None,
    time_zone: str | None = None,
) -> None:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    tz = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    with translation.override(language or settings.LANGUAGE_CODE), timezone.override(tz):
        subject = render_to_string(f"emails/{template}-subject.html", context)
        text = render_to_string(f"emails/{template}-body-text.html", context)
        html = render_to_string(f"emails/{template}-body-html.html", context)
    subject = " ".join(subject.split())
    transaction.on_commit(
        lambda: email_deliver.enqueue(subject=subject, text=text, html=html, to=to)
    )


@task()
def email_deliver(*, subject: str, text: str, html: str, to: str) -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()
