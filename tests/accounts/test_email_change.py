import re

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import EmailChange
from tengja.lib.tokens import token_hash

URL = reverse("accounts:email_change")


def ask(client, user, new_email, password, capture):
    client.force_login(user)
    with capture(execute=True):
        return client.post(URL, {"new_email": new_email, "current_password": password})


def confirm_path(message) -> str:
    return re.search(
        r"http://testserver(/accounts/profile/email/confirm/\S+/)", message.body
    ).group(1)


def test_change_waits_for_the_link_sent_to_the_new_address(
    client, alice, password, django_capture_on_commit_callbacks
):
    response = ask(
        client, alice, "New.Alice@example.com", password, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # nothing changes yet
    assert [m.to for m in mail.outbox] == [["new.alice@example.com"]]
    path = confirm_path(mail.outbox[0])
    assert path in mail.outbox[0].alternatives[0][0]
    assert "new.alice@example.com" in client.get(reverse("accounts:profile")).content.decode()

    # The token is stored only as a hash.
    raw = path.rstrip("/").rsplit("/", 1)[1]
    change = EmailChange.objects.get()
    assert change.token_hash == token_hash(raw)
    assert raw not in change.token_hash

    # GET only shows what will change (mail scanners follow links); POST changes it.
    assert "Confirm new email" in client.get(path).content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    alice.refresh_from_db()
    assert alice.email == "new.alice@example.com"
    # The old address is told.
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "new.alice@example.com" in mail.outbox[-1].body


def test_link_works_once(client, alice, password, django_capture_on_commit_callbacks):
    ask(client, alice, "new@example.com", password, django_capture_on_commit_callbacks)
    path = confirm_path(mail.outbox[0])
    client.post(path)
    response = client.post(path)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()


def test_link_expires(client, alice, password, settings, django_capture_on_commit_callbacks):
    ask(client, alice, "new@example.com", password, django_capture_on_commit_callbacks)
    path = confirm_path(mail.outbox[0])
    later = timezone.now() + timezone.timedelta(seconds=settings.EMAIL_CHANGE_TIMEOUT + 1)
    with time_machine.travel(later):
        response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_forged_link_is_refused(client, alice):
    response = client.get(reverse("accounts:email_change_confirm", args=["made-up"]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_only_the_newest_link_works(client, alice, password, django_capture_on_commit_callbacks):
    ask(client, alice, "first@example.com", password, django_capture_on_commit_callbacks)
    ask(client, alice, "second@example.com", password, django_capture_on_commit_callbacks)
    first, second = (confirm_path(m) for m in mail.outbox)
    assert client.post(first).status_code == 400
    client.post(second)
    alice.refresh_from_db()
    assert alice.email == "second@example.com"


def test_address_already_taken_is_refused(
    client, alice, bob, password, django_capture_on_commit_callbacks
):
    response = ask(client, alice, "BOB@example.com", password, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Another account already uses this email" in response.content.decode()
    assert not mail.outbox
    assert not EmailChange.objects.exists()


def test_address_taken_between_request_and_confirmation(
    client, alice, password, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    ask(client, alice, "wanted@example.com", password, django_capture_on_commit_callbacks)
    UserFactory(email="wanted@example.com")
    response = client.post(confirm_path(mail.outbox[0]))
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert EmailChange.objects.get().confirmed_at is None


def test_wrong_current_password_is_refused(client, alice, django_capture_on_commit_callbacks):
    response = ask(client, alice, "new@example.com", "wrong", django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "current password was entered incorrectly" in response.content.decode()
    assert not mail.outbox


def test_same_address_is_refused(client, alice, password, django_capture_on_commit_callbacks):
    response = ask(client, alice, "Alice@example.com", password, django_capture_on_commit_callbacks)
    assert "This is already your email." in response.content.decode()
