"""Every e-mail Tengja sends is rendered and delivered here.

Each e-mail has three templates, `emails/<name>-subject.html`, `-body-text.html`
and `-body-html.html`, rendered in the recipient's language and time zone.
Delivery runs in a background task enqueued once the surrounding transaction
commits, so nothing is sent for a write that rolled back.

Task arguments are stored in the database until the task has run, so an e-mail
that carries a secret link (password reset, e-mail change, invitation) is not
rendered here: its own task makes the token while sending and calls
`email_deliver_now`, so the token exists only in that e-mail.

Every message is built by `email_message`: Django's EmailMultiAlternatives as it
is, with the headers below.
"""

import zoneinfo
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django_tasks import task


def site_domain() -> str:
    """The host name of SITE_URL: the right-hand side of our Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def install_id() -> str:
    """A short name for this installation, derived from its SECRET_KEY: two sites
    on one domain (staging and production, say) never make the same Message-ID."""
    return salted_hmac("tengja.install-id", "message-id", algorithm="sha256").hexdigest()[:12]


def message_id(local: str | None = None) -> str:
    """A Message-ID on the site's domain. With `local` (e.g. "delivery-42") it is the
    same at every attempt to send one e-mail, so a receiver can drop a duplicate."""
    if local:
        return f"<{local}.{install_id()}@{site_domain()}>"
    return make_msgid(idstring=install_id(), domain=site_domain())


def email_message(
    *, to: str, subject: str, text: str, html: str, local_id: str | None = None
) -> EmailMultiAlternatives:
    """An e-mail with its text and HTML parts and the headers every one of ours has.

    Every e-mail Tengja sends is written by the software, none by a person, so each
    says so (RFC 3834's Auto-Submitted): auto-responders and out-of-office replies
    leave it alone (X-Auto-Response-Suppress asks the same of Exchange, keeping
    bounces).
    """
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        headers={
            "Message-ID": message_id(local_id),
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


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
    email_message(to=to, subject=subject, text=text, html=html).send()


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
