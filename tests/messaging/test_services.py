"""Who may talk, what a message may be, and what removing, reading and closing do."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tengja.bookings.models import Invitation
from tengja.messaging.models import Conversation, Message, files_storage
from tengja.messaging.selectors import unread_count
from tengja.messaging.services import (
    BODY_MAX,
    MessageError,
    conversation_close,
    conversation_read,
    conversation_reopen,
    conversation_start,
    message_remove,
    message_send,
)
from tests.conftest import race, requires_postgres
from tests.factories import BookingFactory, UserFactory
from tests.messaging.conftest import pdf, pdf_bytes, picture

pytestmark = pytest.mark.django_db


def test_a_conversation_needs_a_session_together(alice, bob, professional, session):
    assert conversation_start(client=alice, professional=professional).pk
    with pytest.raises(MessageError):
        conversation_start(client=bob, professional=professional)
    assert Conversation.objects.count() == 1


def test_an_invitation_not_yet_accepted_is_not_a_session_together(bob, professional):
    booking = BookingFactory(client=bob, session_type__professional=professional)
    Invitation.objects.create(
        booking=booking,
        email=bob.email,
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=3),
    )
    with pytest.raises(MessageError):
        conversation_start(client=bob, professional=professional)


def test_starting_twice_finds_the_same_conversation(alice, professional, session):
    first = conversation_start(client=alice, professional=professional)
    assert conversation_start(client=alice, professional=professional) == first


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_conversation(alice, professional, session):
    results = race([lambda: conversation_start(client=alice, professional=professional)] * 4)
    assert all(isinstance(r, Conversation) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Conversation.objects.count() == 1


def test_sending_sets_the_last_message_and_the_senders_read_mark(conversation, alice, professional):
    message_send(conversation=conversation, sender=alice, body="  Hello\nthere  ")
    conversation.refresh_from_db()
    assert conversation.last_sender_role == "client"
    assert conversation.client_read_at == conversation.last_message_at
    assert unread_count(user=professional.user) == 1
    assert unread_count(user=alice) == 0
    assert Message.objects.get().body == "Hello\nthere"


def test_sending_tells_the_recipients_open_pages(
    conversation, alice, professional, django_capture_on_commit_callbacks, monkeypatch
):
    told = []
    monkeypatch.setattr(
        "tengja.messaging.live.unread_push",
        lambda *, user, conversation=None: told.append((user.pk, conversation.pk)),
    )
    message_send(conversation=conversation, sender=alice, body="Hi")
    assert told == [(professional.user.pk, conversation.pk)]
    told.clear()
    conversation.refresh_from_db()
    assert conversation_read(conversation=conversation, user=professional.user)
    assert told == [(professional.user.pk, conversation.pk)]
    told.clear()
    assert not conversation_read(conversation=conversation, user=professional.user)
    assert told == []


@pytest.mark.parametrize(
    ("body", "file", "error"),
    [
        ("", None, "Write a message or choose a file"),
        ("   \n ", None, "Write a message or choose a file"),
        ("x" * (BODY_MAX + 1), None, "at most 5000 characters"),
        ("", SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 50), "not a picture we can read"),
        ("", SimpleUploadedFile("a.pdf", b"%PDF-1.4 no end"), "incomplete or damaged"),
        ("", SimpleUploadedFile("a.txt", b""), "empty"),
        ("", SimpleUploadedFile("a.gif", b"GIF89a" + b"\x00" * 20), "not a picture we can read"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_kept(conversation, alice, body, file, error):
    with pytest.raises(MessageError, match=error):
        message_send(conversation=conversation, sender=alice, body=body, file=file)
    assert not Message.objects.exists()
    conversation.refresh_from_db()
    assert conversation.last_message_at is None


def test_the_longest_message_is_kept(conversation, alice):
    message_send(conversation=conversation, sender=alice, body="x" * BODY_MAX)
    assert len(Message.objects.get().body) == BODY_MAX


def test_only_the_two_may_send(conversation, bob, other_professional):
    for stranger in (bob, other_professional.user):
        with pytest.raises(MessageError):
            message_send(conversation=conversation, sender=stranger, body="Hi")
    assert not Message.objects.exists()


def test_a_pdf_is_kept_under_a_random_name_outside_media(conversation, alice, settings):
    message = message_send(
        conversation=conversation, sender=alice, body="", file=pdf("../../Niðurstöður;.pdf")
    )
    assert message.file_name == "Niðurstöður_.pdf"
    assert message.file_type == "application/pdf"
    assert "Niðurstöður" not in message.file.name and message.file.name.endswith(".pdf")
    path = files_storage.path(message.file.name)
    assert path.startswith(str(settings.MESSAGE_FILES_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with open(path, "rb") as stored:
        assert stored.read() == pdf_bytes()


@pytest.mark.parametrize(
    ("upload", "kept_type", "kept_name"),
    [
        (lambda: picture("a.jpeg", "JPEG"), "image/jpeg", "a.jpg"),
        (lambda: picture("b.png", "PNG"), "image/jpeg", "b.jpg"),
        (lambda: picture("c.webp", "WEBP"), "image/jpeg", "c.jpg"),
        (lambda: picture("d.png", "PNG", mode="RGBA"), "image/png", "d.png"),
    ],
)
def test_images_are_reencoded(conversation, alice, upload, kept_type, kept_name):
    message = message_send(conversation=conversation, sender=alice, body="", file=upload())
    assert (message.file_type, message.file_name) == (kept_type, kept_name)
    from PIL import Image

    with files_storage.open(message.file.name) as handle, Image.open(handle) as image:
        assert image.format == ("PNG" if kept_type == "image/png" else "JPEG")
        assert image.size == (40, 30)


def test_a_file_of_ten_megabytes_is_kept_and_one_byte_more_refused(conversation, alice, settings):
    limit = settings.MESSAGE_FILE_MAX_BYTES
    assert limit == 10 * 1024 * 1024
    with pytest.raises(MessageError, match="at most 10 MB"):
        message_send(conversation=conversation, sender=alice, body="", file=pdf(size=limit + 1))
    message = message_send(conversation=conversation, sender=alice, body="", file=pdf(size=limit))
    assert message.file_size == limit


def test_a_closed_conversation_takes_no_messages(conversation, alice, professional):
    conversation_close(conversation=conversation, professional=professional, note="Call 555 1234")
    conversation.refresh_from_db()
    for sender in (alice, professional.user):
        with pytest.raises(MessageError, match="closed"):
            message_send(conversation=conversation, sender=sender, body="Hi")
    assert conversation.closed_note == "Call 555 1234"
    conversation = conversation_reopen(conversation=conversation, professional=professional)
    assert not conversation.is_closed and conversation.closed_note == ""
    message_send(conversation=conversation, sender=alice, body="Hi again")


def test_only_its_professional_closes(conversation, other_professional):
    with pytest.raises(MessageError):
        conversation_close(conversation=conversation, professional=other_professional, note="")
    conversation.refresh_from_db()
    assert not conversation.is_closed


def test_removing_blanks_the_message_and_deletes_its_file_after_commit(
    conversation, alice, professional, django_capture_on_commit_callbacks
):
    message = message_send(conversation=conversation, sender=alice, body="Oops", file=pdf())
    stored = message.file.name
    with pytest.raises(MessageError):
        message_remove(message=message, user=professional.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_remove(message=message, user=alice)
    assert files_storage.exists(stored)  # not before the removal commits
    for callback in callbacks:
        callback()
    assert not files_storage.exists(stored)
    message.refresh_from_db()
    assert message.is_removed and message.body == "" and not message.file
    assert message.file_name == "" and message.file_size == 0
    with pytest.raises(MessageError):
        message_remove(message=message, user=alice)


def test_over_the_message_limit_nothing_is_kept(conversation, alice, settings):
    settings.MESSAGE_LIMIT_PER_SENDER = "3/10m"
    for n in range(3):
        message_send(conversation=conversation, sender=alice, body=f"{n}")
    with pytest.raises(MessageError, match="many messages"):
        message_send(conversation=conversation, sender=alice, body="one more")
    assert Message.objects.count() == 3


def test_over_the_file_limit_nothing_is_kept(conversation, alice, settings):
    settings.MESSAGE_FILE_LIMIT_PER_SENDER = "2/h"
    for _ in range(2):
        message_send(conversation=conversation, sender=alice, body="", file=pdf())
    with pytest.raises(MessageError, match="many files"):
        message_send(conversation=conversation, sender=alice, body="x", file=pdf())
    message_send(conversation=conversation, sender=alice, body="text still goes")
    assert Message.objects.count() == 3
    assert len(list((settings.MESSAGE_FILES_ROOT).rglob("*.pdf"))) == 2


def test_a_message_that_arrives_while_reading_stays_unread(conversation, alice, professional):
    message_send(conversation=conversation, sender=alice, body="one")
    seen = Conversation.objects.get(pk=conversation.pk)  # the page reads it
    message_send(
        conversation=conversation,
        sender=alice,
        body="two",
        now=timezone.now() + timedelta(seconds=1),
    )
    conversation_read(conversation=seen, user=professional.user)
    assert unread_count(user=professional.user) == 1


def test_a_stranger_cannot_start_for_others():
    stranger = UserFactory()
    assert not Conversation.objects.filter(client=stranger).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_send_racing_a_close_is_kept_before_it_or_refused(alice, professional, session):
    conversation = conversation_start(client=alice, professional=professional)
    results = race(
        [
            lambda: message_send(conversation=conversation, sender=alice, body="Before?"),
            lambda: conversation_close(
                conversation=conversation, professional=professional, note="Call me"
            ),
        ],
        expected=MessageError,
    )
    conversation.refresh_from_db()
    assert conversation.is_closed
    sent = Message.objects.first()
    if sent is None:
        assert any(isinstance(r, MessageError) for r in results), results
    else:
        assert sent.created_at <= conversation.closed_at


def test_a_session_cancelled_before_it_began_opens_no_conversation(bob, professional):
    """Booking a public page and cancelling at once is no way to message someone."""
    start = timezone.now() + timedelta(days=3)
    BookingFactory(
        client=bob,
        session_type__professional=professional,
        starts_at=start,
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    with pytest.raises(MessageError):
        conversation_start(client=bob, professional=professional)
    # A session that began and was then cancelled (e.g. the client did not come) counts.
    BookingFactory(
        client=bob,
        session_type__professional=professional,
        starts_at=timezone.now() - timedelta(days=1),
        status="cancelled",
        cancelled_at=timezone.now(),
    )
    assert conversation_start(client=bob, professional=professional).pk


def test_over_the_limit_a_file_is_not_even_opened(conversation, alice, settings):
    """The limit is asked before a file is decoded: a refused sender's file is
    refused for the limit, not for what it holds."""
    settings.MESSAGE_LIMIT_PER_SENDER = "1/10m"
    message_send(conversation=conversation, sender=alice, body="one")
    broken = SimpleUploadedFile("x.png", b"\x89PNG not really", content_type="image/png")
    with pytest.raises(MessageError, match="many messages"):
        message_send(conversation=conversation, sender=alice, body="", file=broken)


def test_a_closed_conversation_refuses_before_reading_a_file(conversation, alice, professional):
    conversation_close(conversation=conversation, professional=professional, note="")
    conversation.refresh_from_db()
    broken = SimpleUploadedFile("x.png", b"\x89PNG not really", content_type="image/png")
    with pytest.raises(MessageError, match="closed"):
        message_send(conversation=conversation, sender=alice, body="", file=broken)
