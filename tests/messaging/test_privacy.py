"""Messages in "Download my data" for both people (with the files), and what a
deletion of the client's account leaves (SECURITY.md)."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from tengja.messaging.models import Conversation, Message, MessagePreferences, files_storage
from tengja.messaging.services import (
    MessageError,
    conversation_reopen,
    message_remove,
    message_send,
)
from tengja.privacy.export import export_write
from tengja.privacy.services import account_delete
from tests.messaging.conftest import pdf, pdf_bytes

pytestmark = pytest.mark.django_db


def archive_of(user) -> zipfile.ZipFile:
    out = io.BytesIO()
    export_write(user=user, out=out)
    return zipfile.ZipFile(out)


@pytest.fixture
def exchanged(conversation, alice, professional, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = message_send(
            conversation=conversation, sender=alice, body="Hæ", file=pdf("Blað.pdf")
        )
        message_send(conversation=conversation, sender=professional.user, body="Takk")
        gone = message_send(conversation=conversation, sender=alice, body="Secret slip")
        message_remove(message=gone, user=alice)
    return first


def test_both_download_the_messages_and_the_files(alice, professional, bob, exchanged):
    for person, other, mine in (
        (alice, professional.user, "client"),
        (professional.user, alice, "professional"),
    ):
        with archive_of(person) as archive:
            rows = json.loads(archive.read("messages.json"))
            assert [r["text"] for r in rows] == ["Hæ", "Takk", "removed"]
            assert {r["with"] for r in rows} == {other.name}
            assert {r["your_side"] for r in rows} == {mine}
            assert [r["from"] for r in rows] == (
                ["you", "them", "you"] if mine == "client" else ["them", "you", "them"]
            )
            assert rows[0]["file"] == "Blað.pdf"
            assert archive.read(rows[0]["file_in_archive"]) == pdf_bytes()
            assert "Secret slip" not in json.dumps(rows)
    with archive_of(bob) as archive:
        assert json.loads(archive.read("messages.json")) == []


def test_a_deleted_client_s_messages_stay_with_the_professional(
    client, alice, professional, exchanged, conversation
):
    MessagePreferences.objects.create(user=alice, email_unread=False)
    account_delete(user=alice)
    conversation.refresh_from_db()
    assert conversation.is_closed
    assert Message.objects.filter(conversation=conversation).count() == 3
    assert files_storage.exists(exchanged.file.name)  # part of the professional's record
    assert not MessagePreferences.objects.filter(user=alice).exists()
    client.force_login(professional.user)
    page = client.get(reverse("messaging:conversation", args=[conversation.code])).content.decode()
    assert "Deleted account" in page and "Alice" not in page and "Hæ" in page
    assert "Deleted account" in client.get(reverse("messaging:inbox")).content.decode()
    assert client.get(reverse("messaging:file", args=[exchanged.code])).status_code == 200
    with pytest.raises(MessageError):
        message_send(conversation=conversation, sender=professional.user, body="Still there?")
    assert Conversation.objects.count() == 1


def test_a_deleted_client_s_conversation_cannot_be_reopened(
    client, alice, professional, exchanged, conversation
):
    account_delete(user=alice)
    conversation.refresh_from_db()
    with pytest.raises(MessageError, match="deleted their account"):
        conversation_reopen(conversation=conversation, professional=professional)
    client.force_login(professional.user)
    page = client.get(reverse("messaging:conversation", args=[conversation.code]))
    assert "Reopen" not in page.content.decode()
    response = client.post(reverse("messaging:reopen", args=[conversation.code]))
    conversation.refresh_from_db()
    assert conversation.is_closed and response.status_code in (302, 400)
    with pytest.raises(MessageError):
        message_send(conversation=conversation, sender=professional.user, body="Hello again")
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_a_file_goes_with_its_row_however_the_row_goes(
    exchanged, conversation, django_capture_on_commit_callbacks
):
    stored = exchanged.file.name
    assert files_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        conversation.delete()  # e.g. support removing a practice's records: messages cascade
    assert not Message.objects.exists()
    assert not files_storage.exists(stored)
