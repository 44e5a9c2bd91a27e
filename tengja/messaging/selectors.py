"""Who may read which conversation, and what waits unread.

Every read names the person asking: a conversation is its client's and its
professional's, and nobody else's (the views turn "not yours" into 404)."""

from django.db.models import F, Q

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.messaging.models import Conversation

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
