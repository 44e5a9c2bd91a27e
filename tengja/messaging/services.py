"""Starting a conversation, sending, removing and reading messages, and the
professional's closing of a conversation (issue 30).

Who may talk: a client and a professional with a session together, past or
booked (bookings.selectors.has_sessions). A message is kept as written; its
sender may remove it, which blanks its text, deletes its file once the removal
commits, and leaves "Message removed" for both. Each change tells the people
it concerns, after commit, through tengja.messaging.live.unread_push."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.selectors import has_sessions
from tengja.lib.limits import message_refusal
from tengja.messaging import live
from tengja.messaging.files import file_prepare, storage
from tengja.messaging.models import Conversation, Message, MessagePreferences
from tengja.professionals.models import Professional

Role = Booking.Role
BODY_MAX = 5000
NOTE_MAX = 1000


class MessageError(ValueError):
    """Refused: nothing was changed. `field` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def role_in(conversation: Conversation, user: User) -> str | None:
    """Which side `user` is on in the conversation, or None for anyone else."""
    if conversation.professional.user_id == user.pk:
        return Role.PROFESSIONAL
    if conversation.client_id == user.pk:
        return Role.CLIENT
    return None


def conversation_start(*, client: User, professional: Professional) -> Conversation:
    """The pair's conversation, made the first time either asks. Refused unless
    they have a session together. Two first asks at once both get the one row
    (the unique constraint decides; the loser reads the winner's)."""
    if client.pk == professional.user_id:
        raise MessageError(_("You cannot send messages to yourself."))
    if not has_sessions(professional=professional, client=client):
        raise MessageError(_("You can send messages only to someone you have sessions with."))
    found = Conversation.objects.filter(professional=professional, client=client).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Conversation.objects.create(professional=professional, client=client)
    except IntegrityError:
        return Conversation.objects.get(professional=professional, client=client)


def message_send(
    *,
    conversation: Conversation,
    sender: User,
    body: str,
    file: UploadedFile | None = None,
    now: datetime | None = None,
) -> Message:
    """Send a message: text of up to BODY_MAX characters, a file (files.py), or
    both. Refused (MessageError, nothing kept) for anyone but the two, when the
    conversation is closed, when there is nothing to send, or over the sender's
    rate limits."""
    role = role_in(conversation, sender)
    if role is None:
        raise MessageError(_("This conversation is not yours."))
    body = body.strip()
    if len(body) > BODY_MAX:
        raise MessageError(
            _("A message can be at most %(count)d characters long (it has %(length)d).")
            % {"count": BODY_MAX, "length": len(body)},
            field="body",
        )
    if not body and not file:
        raise MessageError(_("Write a message or choose a file to send."), field="body")
    if conversation.is_closed or conversation.client.erased_at:
        raise MessageError(_("This conversation is closed: no new messages can be sent."))
    # Counted before a file is read: decoding a picture costs the server far more
    # than the limit's look-up, so a refused sender's files are never opened.
    refusal = message_refusal(user_id=sender.pk, with_file=file is not None)
    if refusal:
        raise MessageError(refusal)
    prepared = None
    if file:
        try:
            prepared = file_prepare(file)
        except ValidationError as error:
            raise MessageError(error.messages[0], field="file") from None
    now = now or timezone.now()
    stored = ""
    try:
        with transaction.atomic():
            # One writer at a time per conversation: a close and a send, or two
            # sends, each see the other's result.
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            if locked.is_closed:
                raise MessageError(_("This conversation is closed: no new messages can be sent."))
            message = Message(conversation=locked, sender=sender, sender_role=role, body=body)
            message.created_at = now
            if prepared is not None:
                message.file.save(prepared.content.name, prepared.content, save=False)
                stored = message.file.name
                message.file_name = prepared.name
                message.file_type = prepared.content_type
                message.file_size = prepared.size
            message.save()
            mark = "client_read_at" if role == Role.CLIENT else "professional_read_at"
            Conversation.objects.filter(pk=locked.pk).update(
                last_message_at=now, last_sender_role=role, **{mark: now}
            )
            recipient = (
                conversation.client if role == Role.PROFESSIONAL else conversation.professional.user
            )
            live.unread_push(user=recipient, conversation=locked)
    except BaseException:
        if stored:  # the row was not kept: neither is its file
            storage().delete(stored)
        raise
    conversation.last_message_at, conversation.last_sender_role = now, role
    return message


def message_remove(*, message: Message, user: User, now: datetime | None = None) -> None:
    """Its sender removes a message: the text is blanked and the file deleted (from
    disk once this commits); both then see "Message removed". Anyone else, or a
    message already removed: MessageError, nothing changes."""
    if message.sender_id != user.pk:
        raise MessageError(_("Only its sender can remove a message."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.is_removed:
            raise MessageError(_("This message was already removed."))
        stored = locked.file.name
        Message.objects.filter(pk=locked.pk).update(
            body="", file="", file_name="", file_type="", file_size=0, removed_at=now
        )
        if stored:
            transaction.on_commit(lambda: storage().delete(stored))
    message.body, message.removed_at = "", now
    message.file.name = ""


def conversation_read(*, conversation: Conversation, user: User) -> bool:
    """`user` has seen the conversation up to its newest message as it was read
    (`conversation.last_message_at`): a message that arrives meanwhile stays
    unread. Says whether the mark moved (and then tells their open pages)."""
    role = role_in(conversation, user)
    upto = conversation.last_message_at
    if role is None or upto is None:
        return False
    mark = "client_read_at" if role == Role.CLIENT else "professional_read_at"
    with transaction.atomic():
        moved = (
            Conversation.objects.filter(pk=conversation.pk)
            .exclude(**{f"{mark}__gte": upto})
            .update(**{mark: upto})
        )
        if moved:
            live.unread_push(user=user, conversation=conversation)
    if moved:
        setattr(conversation, mark, upto)
    return bool(moved)


def _professional_of(conversation: Conversation, professional: Professional) -> None:
    if conversation.professional_id != professional.pk:
        raise MessageError(_("Only the professional can close or reopen a conversation."))


def conversation_close(
    *, conversation: Conversation, professional: Professional, note: str
) -> Conversation:
    """The professional closes the conversation (e.g. when therapy ends): no new
    messages either way; the client is shown `note`, how to reach them instead."""
    _professional_of(conversation, professional)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise MessageError(
            _("The note can be at most %(count)d characters long.") % {"count": NOTE_MAX},
            field="note",
        )
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        locked.closed_at = locked.closed_at or timezone.now()
        locked.closed_note = note
        locked.save(update_fields=["closed_at", "closed_note"])
    return locked


def conversation_reopen(*, conversation: Conversation, professional: Professional) -> Conversation:
    """The professional opens the conversation again; the note goes. Not once the
    client's account is deleted: that conversation stays as it was closed."""
    _professional_of(conversation, professional)
    if conversation.client.erased_at:
        raise MessageError(
            _("This client has deleted their account: the conversation stays closed.")
        )
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        locked.closed_at = None
        locked.closed_note = ""
        locked.save(update_fields=["closed_at", "closed_note"])
    return locked


def messages_erase(*, user: User, now: datetime | None = None) -> None:
    """A client's account is deleted: their conversations are closed (nobody is
    left to answer) and kept with the professional, both sides' messages and
    files, as part of the professional's health record of them (lög um
    sjúkraskrár nr. 55/2009), the client shown as "Deleted account"; their
    e-mail preference goes. (A professional's account is closed through support,
    who arrange how their record is kept or handed over: SECURITY.md.)"""
    now = now or timezone.now()
    Conversation.objects.filter(client=user, closed_at=None).update(closed_at=now, closed_note="")
    MessagePreferences.objects.filter(user=user).delete()
