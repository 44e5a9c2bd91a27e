"""Download my data: a ZIP made by a task, linked by e-mail once, then deleted."""

import io
import json
import re
import zipfile
from pathlib import Path

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.lib.tokens import token_hash
from tengja.privacy.models import DataExport
from tengja.privacy.services import data_export_build, data_exports_sweep
from tests.privacy.conftest import sessions

REQUEST = reverse("privacy:export_request")


def ask(client, user, capture):
    client.force_login(user)
    with capture(execute=True):
        return client.post(REQUEST)


def link_path(message) -> str:
    return re.search(r"http://testserver(/privacy/export/[^/\s]+/)", message.body).group(1)


def files(settings) -> list[Path]:
    root = Path(settings.DATA_EXPORT_ROOT)
    return sorted(root.iterdir()) if root.exists() else []


def test_the_zip_holds_everything_and_downloads_once(
    client, emma, settings, django_capture_on_commit_callbacks
):
    response = ask(client, emma, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("accounts:profile")
    [message] = [m for m in mail.outbox if m.subject == "Your Tengja data is ready to download"]
    assert message.to == [emma.email]
    path = link_path(message)
    assert path in message.alternatives[0][0]
    # Kept outside the public media folder, and only the token's hash is stored.
    [stored] = files(settings)
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))
    raw = path.rstrip("/").rsplit("/", 1)[1]
    assert DataExport.objects.get().token_hash == token_hash(raw)

    page = client.get(path)
    assert page.status_code == 200
    assert "Download ZIP file" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert names == {
        "README.txt",
        "profile.json",
        "email_changes.json",
        "sign_ins.json",
        "sessions.json",
        "invitations.json",
        "invoices.json",
        "payments.json",
        "notifications.json",
        "emails.json",
        "credits.json",
        "credit_requests.json",
        "hub_memberships.json",
        "hr_companies.json",
        "payment_methods.json",
        "professional.json",
        "session_types.json",
        "availability.json",
        "hub_offers.json",
        "data_exports.json",
        "session_requests.json",
        "client_details.json",
        "intake_forms.json",
        "forms.json",
        "measures.json",
        "measure_shares.json",
        "notes.json",
        "note_templates.json",
        "wellbeing.json",
        "wellbeing_shares.json",
        "messages.json",
        "picture.jpg",
    }
    # Each file is described in the README.
    readme = archive.read("README.txt").decode()
    assert all(name in readme for name in names - {"README.txt"})
    data = {n: json.loads(archive.read(n)) for n in names if n.endswith(".json")}
    assert data["profile.json"]["email"] == emma.email
    assert data["profile.json"]["name"] == "Emma Employee"
    assert len(data["sessions.json"]) == 3
    assert {s["paid_with"] for s in data["sessions.json"]} == {"credits", "invoice"}
    assert {s["professional"] for s in data["sessions.json"]} == {"Helga Sigurðardóttir", "Dr. Sól"}
    assert len(data["invoices.json"]) == 2
    assert data["notifications.json"]
    assert {c["kind"] for c in data["credits.json"]} == {"grant", "spend"}
    assert data["hub_memberships.json"][0]["work_email"] == "emma@acme.test"
    [card] = data["payment_methods.json"]
    assert (card["brand"], card["last4"]) == ("Visa", "4242")
    assert "number" not in card
    with emma.picture.open("rb") as picture:
        assert archive.read("picture.jpg") == picture.read()

    # Once: the file is gone and the link is spent.
    assert files(settings) == []
    again = client.post(path)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_the_link_is_the_owners_only(client, emma, bob, django_capture_on_commit_callbacks):
    ask(client, emma, django_capture_on_commit_callbacks)
    path = link_path(mail.outbox[-1])
    client.force_login(bob)
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    client.logout()
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert DataExport.objects.get().downloaded_at is None


def test_the_link_expires_and_the_file_is_deleted(
    client, alice, settings, django_capture_on_commit_callbacks
):
    ask(client, alice, django_capture_on_commit_callbacks)
    path = link_path(mail.outbox[-1])
    assert len(files(settings)) == 1
    later = timezone.now() + timezone.timedelta(seconds=settings.DATA_EXPORT_TIMEOUT + 1)
    with time_machine.travel(later):
        response = client.post(path)
        assert response.status_code == 400
        assert "expired" in response.content.decode()
        assert data_exports_sweep() == 1
    assert files(settings) == []


def test_a_new_request_replaces_the_old_link_and_file(
    client, alice, settings, django_capture_on_commit_callbacks
):
    ask(client, alice, django_capture_on_commit_callbacks)
    first = link_path(mail.outbox[-1])
    ask(client, alice, django_capture_on_commit_callbacks)
    second = link_path(mail.outbox[-1])
    assert len(files(settings)) == 1
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 200


def test_the_link_is_not_in_the_task_queue(alice, settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from tengja.privacy.services import data_export_request

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        export = data_export_request(user=alice)
    [row] = DBTaskResult.objects.all()
    assert row.args_kwargs == {"args": [], "kwargs": {"export_id": export.pk}}


def test_requests_are_limited_like_any_email(client, alice, django_capture_on_commit_callbacks):
    for _ in range(5):
        ask(client, alice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3


def test_the_queries_do_not_grow_with_the_history(
    alice, professional, django_capture_on_commit_callbacks
):
    from tengja.privacy.services import data_export_request

    def build() -> int:
        with django_capture_on_commit_callbacks(execute=False):
            export = data_export_request(user=alice)
        with CaptureQueriesContext(connection) as queries:
            data_export_build(export_id=export.pk)
        return len(queries)

    with django_capture_on_commit_callbacks(execute=True):
        sessions(professional, alice.email, 2)
    few = build()
    with django_capture_on_commit_callbacks(execute=True):
        sessions(professional, alice.email, 25, start_days=10)
    many = build()
    assert many == few
    assert few <= 45  # about one a file (with messages and wellbeing now), whatever the history
