import pytest
from django.test import override_settings
from django.urls import reverse

from tengja.lib.emails import email_send

FILE_BACKEND = "tengja.lib.mail.EmlFileBackend"


@pytest.fixture
def sent(settings, db, django_capture_on_commit_callbacks, alice):
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        email_send(
            template="email-change-confirm",
            to="someone@example.com",
            context={
                "user": alice,
                "new_email": "someone@example.com",
                "confirm_url": "http://testserver/accounts/profile/email/confirm/abc/",
                "expires_at": None,
            },
        )


def test_inbox_lists_sent_mail_and_shows_clickable_links(client, sent):
    inbox = client.get(reverse("devmail:inbox"))
    body = inbox.content.decode()
    assert "someone@example.com" in body
    assert "Confirm your new e-mail address" in body
    name = inbox.context["mails"][0].name
    page = client.get(reverse("devmail:message", args=[name])).content.decode()
    assert '<a href="http://testserver/accounts/profile/email/confirm/abc/"' in page
    html = client.get(reverse("devmail:message_html", args=[name]))
    assert "Confirm new email" in html.content.decode()
    assert "script-src 'none'" in html["Content-Security-Policy"]


def test_hidden_when_not_in_debug(client, sent, settings):
    settings.DEBUG = False
    assert client.get(reverse("devmail:inbox")).status_code == 404


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", DEBUG=True)
def test_hidden_with_real_email(client, db):
    assert client.get(reverse("devmail:inbox")).status_code == 404


def test_path_tricks_find_nothing(client, sent, settings, tmp_path):
    from tengja.devmail.mailbox import mailbox_get

    secret = tmp_path / "secret.eml"
    secret.write_text("Subject: secret")
    for name in ("../secret.eml", "..", "nothing.eml", "20260101T000000000000-deadbeef.eml\n"):
        assert mailbox_get(name) is None
    for name in ("nothing.eml", "20260101T000000000000-deadbeef.eml"):
        assert client.get(f"/dev/mail/{name}/").status_code == 404


def test_only_the_machine_itself_may_read(client, sent):
    assert client.get(reverse("devmail:inbox"), REMOTE_ADDR="192.0.2.7").status_code == 404
    assert client.get(reverse("devmail:inbox"), REMOTE_ADDR="::1").status_code == 200
