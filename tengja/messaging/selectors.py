"""Who may read which conversation, and what waits unread.

Every read names the person asking: a conversation is its client's and its
professional's, and nobody else's (the views turn "not yours" into 404)."""

from dataclasses import dataclass

from django.db.models import F, Q
from django.http import Http404

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.lib.windows import Window, window
from tengja.messaging.models import Conversation, Message

Role = Booking.Role


def unread_for(user: User) -> Q:
    """Conversations of `user` whose newest message is the other side's and came
    after `user`'s read mark on their side."""
    as_client = Q(client=user, last_sender_role=Role.PROFESSIONAL) & (
        Q(client_read_at__isnull=True) | Q(last_message_at__gt=F("client_read_at"))
    )
    as_professional = Q(professional__user=user, last_sender_role=Role.CLIENT) & (
        Q(professional_read_at__isnull=True) | Q(last_message_at__gt=F("professional_read_at"))
    )
    return as_client | as_professional


def unread_count(*, user: User) -> int:
    """How many of `user`'s conversations have a message they have not read."""
    return Conversation.objects.filter(unread_for(user)).count()


# Conversations on a page of the list, and messages on a page of a conversation.
CONVERSATIONS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50


def conversation_for_user(*, user: User, code: str) -> Conversation:
    """One of `user`'s conversations, with both people; 404 for anyone else's."""
    try:
        conversation = Conversation.objects.select_related("professional__user", "client").get(
            code=code
        )
    except Conversation.DoesNotExist:
        raise Http404 from None
    if user.pk not in (conversation.client_id, conversation.professional.user_id):
        raise Http404
    return conversation


def message_for_user(*, user: User, code: str) -> Message:
    """A message of one of `user`'s conversations (either side's); 404 for anyone else's."""
    try:
        message = Message.objects.select_related(
            "conversation__professional__user", "conversation__client"
        ).get(code=code)
    except Message.DoesNotExist:
        raise Http404 from None
    conversation = message.conversation
    if user.pk not in (conversation.client_id, conversation.professional.user_id):
        raise Http404
    return message


@dataclass(slots=True)
class Row:
    """A conversation as `user` sees it in their list."""

    conversation: Conversation
    role: str  # the viewer's side
    other: User
    unread: bool


def conversations_for_user(*, user: User, page: str | None) -> Window:
    """`user`'s conversations, newest message first, as client and as professional,
    a window at a time (one query, whatever the number)."""
    rows = (
        Conversation.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-pk")
    )
    found = window(rows, page=page, size=CONVERSATIONS_PER_PAGE)
    shown = []
    for conversation in found:
        if conversation.client_id == user.pk:
            role, other, mark = (
                Role.CLIENT,
                conversation.professional.user,
                conversation.client_read_at,
            )
        else:
            role, other, mark = (
                Role.PROFESSIONAL,
                conversation.client,
                conversation.professional_read_at,
            )
        unread = (
            conversation.last_message_at is not None
            and conversation.last_sender_role not in ("", role)
            and (mark is None or conversation.last_message_at > mark)
        )
        shown.append(Row(conversation, role, other, unread))
    found.object_list = shown
    return found


def messages_page(*, conversation: Conversation, page: str | None) -> Window:
    """A page of the conversation's messages, the newest MESSAGES_PER_PAGE first
    (page 2 and on: older ones), shown oldest first. One query."""
    rows = Message.objects.filter(conversation=conversation).order_by("-created_at", "-pk")
    found = window(rows, page=page, size=MESSAGES_PER_PAGE)
    found.object_list = list(reversed(found.object_list))
    return found
