import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from tengja.lib.emails import email_send


def send(to: str, **context) -> None:
    email_send(
        template="email-changed-notice",
        to=to,
        context={"user": context.get("user"), "old_email": "a@example.com", "new_email": to},
        language=context.get("language"),
    )


def test_text_and_html_are_both_sent(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send("b@example.com", user=alice)
    [message] = mail.outbox
    assert "Alice Andersen" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Alice Andersen" in html
    assert "<html" in html and "<html" not in message.body


def test_html_escapes_user_text(db, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    mallory = UserFactory(name="<img src=x onerror=alert(1)>")
    with django_capture_on_commit_callbacks(execute=True):
        send("m@example.com", user=mallory)
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_nothing_is_sent_for_a_write_that_rolled_back(alice, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send("b@example.com", user=alice)
        raise RuntimeError
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_delivers(settings):
    """The path `make run` takes: enqueued in the database, sent by `db_worker`."""
    from tests.factories import UserFactory

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = UserFactory()
    send("worker@example.com", user=user)
    assert mail.outbox == []  # only queued so far
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    assert [m.to for m in mail.outbox] == [["worker@example.com"]]


def headers_of(message) -> dict:
    return dict(message.message().items())


def test_every_email_has_a_message_id_on_the_sites_domain_and_says_it_is_automatic(
    alice, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tengja.example"
    with django_capture_on_commit_callbacks(execute=True):
        send("b@example.com", user=alice)
        send("c@example.com", user=alice)
    first, second = (headers_of(message) for message in mail.outbox)
    assert first["Message-ID"].endswith("@tengja.example>")
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Auto-Submitted"] == "auto-generated"
    assert "OOF" in first["X-Auto-Response-Suppress"]


def test_message_ids_differ_between_installs_on_one_domain(settings):
    from tengja.lib.emails import message_id

    one = message_id("delivery-1")
    assert message_id("delivery-1") == one  # the same e-mail, tried again
    settings.SECRET_KEY = "another install's key"
    assert message_id("delivery-1") != one


def test_no_code_builds_an_email_but_the_one_helper():
    """So no e-mail goes out without the headers above."""
    from pathlib import Path

    from django.conf import settings as django_settings

    builders = ("EmailMultiAlternatives(", "EmailMessage(", "send_mail(", "send_mass_mail(")
    offenders = [
        str(path)
        for path in (Path(django_settings.BASE_DIR) / "tengja").rglob("*.py")
        if path.name != "emails.py" and any(b in path.read_text() for b in builders)
    ]
    assert offenders == []


def test_subjects_are_plain_text_not_html(db):
    """A subject is a header, not HTML: O'Brien & Co stay as they are written."""
    from tengja.lib.emails import email_render

    subject, _text, html = email_render(
        template="booking-reminder",
        context={"other_name": "O'Brien & <Co>", "hours_before": 1, "link": "https://x/"},
        language="en",
        time_zone=None,
    )
    assert subject == "Reminder: your session with O'Brien & <Co> starts in 1 hour"
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in html  # the HTML part still escapes it


def test_every_subject_template_turns_escaping_off():
    """Each subject names someone or something a person typed (see above)."""
    from django.conf import settings

    folder = settings.BASE_DIR / "templates" / "emails"
    subjects = sorted(folder.glob("*-subject.html"))
    assert subjects
    for path in subjects:
        assert "{% autoescape off %}" in path.read_text(), path.name


def test_an_email_says_when_in_the_readers_language_and_zone_each_time(db):
    """`session_when` is worked out once per e-mail and kept on the session: the
    same session said again in another language or zone, or once it moved, is
    said anew."""
    from datetime import UTC, datetime, timedelta

    from django.template import engines
    from django.utils import timezone, translation

    from tengja.lib.emails import email_render
    from tests.factories import BookingFactory

    booking = BookingFactory(starts_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    booking.ends_at = booking.starts_at + timedelta(minutes=50)
    by_filters = engines["django"].from_string(
        '{{ b.starts_at|date:"DATE_FORMAT" }}, {{ b.starts_at|time:"TIME_FORMAT" }}'
        '–{{ b.ends_at|time:"TIME_FORMAT" }}'
    )

    def said(language: str, zone: str) -> tuple[str, str]:
        context = {"booking": booking, "other_name": "Jón", "hours_before": 1, "link": "x"}
        _subject, text, html = email_render(
            template="booking-reminder", context=context, language=language, time_zone=zone
        )
        [line] = [line for line in text.splitlines() if line.endswith(f"({zone})")]
        with translation.override(language), timezone.override(zone):
            expected = f"{by_filters.render({'b': booking})} ({zone})"
        assert expected in html
        return line, expected

    seen = set()
    for language, zone in [
        ("en", "Atlantic/Reykjavik"),
        ("is", "Atlantic/Reykjavik"),
        ("is", "Europe/London"),  # the night the clocks go forward
        ("en", "America/New_York"),
    ]:
        line, expected = said(language, zone)
        assert line.endswith(expected)
        seen.add(expected)
    booking.starts_at += timedelta(days=1)
    booking.ends_at += timedelta(days=1)
    line, expected = said("en", "America/New_York")
    assert line.endswith(expected) and "Sunday 29 March" in expected
    assert len(seen | {expected}) == 5
