"""The messages pages keep their query count whatever the data: a conversation
with 5 and with 2,000 messages; a list of 3 and of 300 conversations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.models import Booking
from tengja.messaging.models import Conversation, Message
from tests.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.django_db

# Session and user, the header, the conversation, its messages, the read mark
# (a savepoint around it, and the unread count it pushes): 9, whatever the data.
CONVERSATION_BUDGET = 9
INBOX_BUDGET = 4


def fill(conversation: Conversation, count: int) -> None:
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            sender=conversation.client if n % 2 else conversation.professional.user,
            sender_role=Booking.Role.CLIENT if n % 2 else Booking.Role.PROFESSIONAL,
            body=f"Message {n}\nline two",
            file_name="a.pdf" if n % 10 == 0 else "",
            file="2026/12/x.pdf" if n % 10 == 0 else "",
            file_type="application/pdf",
            file_size=1234,
            created_at=now - timedelta(minutes=count - n),
            removed_at=now if n % 7 == 0 else None,
        )
        for n in range(count)
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=now, last_sender_role=Booking.Role.CLIENT
    )


@pytest.mark.parametrize("count", [5, 2000])
def test_a_conversation_page_is_flat(
    client, conversation, professional, count, django_assert_max_num_queries
):
    fill(conversation, count)
    client.force_login(professional.user)
    url = reverse("messaging:conversation", args=[conversation.code])
    with django_assert_max_num_queries(CONVERSATION_BUDGET):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="chat-message ') == min(count, 50)
    with django_assert_max_num_queries(CONVERSATION_BUDGET):
        assert client.get(url + "?page=2").status_code == 200


@pytest.mark.parametrize("count", [3, 300])
def test_the_list_is_flat(client, professional, count, django_assert_max_num_queries):
    now = timezone.now()
    clients = UserFactory.create_batch(count)
    kind = BookingFactory(client=clients[0], session_type__professional=professional).session_type
    Conversation.objects.bulk_create(
        Conversation(
            professional=professional,
            client=person,
            last_message_at=now - timedelta(minutes=n),
            last_sender_role=Booking.Role.CLIENT,
        )
        for n, person in enumerate(clients)
    )
    assert kind
    client.force_login(professional.user)
    with django_assert_max_num_queries(INBOX_BUDGET):
        response = client.get(reverse("messaging:inbox"))
    assert response.content.decode().count("conversation-row--unread") == min(count, 20)
    with django_assert_max_num_queries(INBOX_BUDGET):
        assert client.get(reverse("messaging:inbox") + "?page=2").status_code == 200
