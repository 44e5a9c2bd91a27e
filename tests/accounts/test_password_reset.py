import re

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

URL = reverse("accounts:password_reset")


def request_reset(client, email, capture):
    with capture(execute=True):
        return client.post(URL, {"email": email})


def reset_link(message) -> str:
    return re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body).group(1)


def test_reset_email_is_sent_in_the_users_language(
    client, alice, django_capture_on_commit_callbacks
):
    alice.language = "is"
    alice.save()
    response = request_reset(client, "ALICE@example.com", django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Endurstilltu lykilorðið þitt hjá Tengja"
    html = message.alternatives[0][0]
    link = reset_link(message)
    assert link in html
    assert "Alice Andersen" in message.body


def test_unknown_address_gets_the_same_answer_and_no_email(
    client, alice, django_capture_on_commit_callbacks
):
    known = request_reset(client, alice.email, django_capture_on_commit_callbacks)
    unknown = request_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    pages = [client.get(r["Location"]).content.decode() for r in (known, unknown)]
    without_csrf = [re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page) for page in pages]
    assert without_csrf[0] == without_csrf[1]


def test_link_sets_a_new_password_once(client, alice, django_capture_on_commit_callbacks):
    request_reset(client, alice.email, django_capture_on_commit_callbacks)
    link = reset_link(mail.outbox[0])
    form_url = client.get(link)["Location"]  # Django hides the token behind a redirect
    data = {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    response = client.post(form_url, data)
    assert response["Location"] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")

    # The same link again: it has been used.
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()
    client.post(
        form_url, {"new_password1": "x another one 99", "new_password2": "x another one 99"}
    )
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")


def test_link_expires(client, alice, settings, django_capture_on_commit_callbacks):
    request_reset(client, alice.email, django_capture_on_commit_callbacks)
    link = reset_link(mail.outbox[0])
    later = timezone.now() + timezone.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later):
        response = client.get(link, follow=True)
    assert "This link no longer works" in response.content.decode()


def test_forged_link_is_refused(client, alice):
    response = client.get("/accounts/password-reset/MQ/forged-token/", follow=True)
    assert "This link no longer works" in response.content.decode()


def test_mismatched_new_passwords_change_nothing(
    client, alice, password, django_capture_on_commit_callbacks
):
    request_reset(client, alice.email, django_capture_on_commit_callbacks)
    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    response = client.post(
        form_url, {"new_password1": "one passphrase here", "new_password2": "another one"}
    )
    assert response.status_code == 200
    assert "The two password fields didn’t match." in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(password)


def test_a_new_password_lifts_a_lockout(
    client, alice, settings, django_capture_on_commit_callbacks
):
    login = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": alice.email, "password": "guess"})
    assert client.post(login, {"username": alice.email, "password": "x"}).status_code == 429
    request_reset(client, alice.email, django_capture_on_commit_callbacks)
    form_url = client.get(reset_link(mail.outbox[0]))["Location"]
    new = {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    client.post(form_url, new)
    response = client.post(login, {"username": alice.email, "password": "a brand new passphrase"})
    assert response.status_code == 302


def test_reset_links_are_not_stored_in_the_task_queue(
    settings, alice, django_capture_on_commit_callbacks
):
    """Queued work is kept in the database: it must hold the address, not the link."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from tengja.accounts.services import password_reset_request

    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(email=alice.email)
    [row] = DBTaskResult.objects.all()
    assert alice.email in str(row.args_kwargs)
    assert "password-reset/" not in str(row.args_kwargs)


def test_a_dead_link_says_so_in_its_title_too(client, db):
    body = client.get("/accounts/password-reset/MQ/forged-token/", follow=True).content.decode()
    assert "<title>This link no longer works · Tengja</title>" in body
    assert "<h1>This link no longer works</h1>" in body
    assert "Choose a new password" not in body
