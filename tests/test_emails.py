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
