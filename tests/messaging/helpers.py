"""Conversations and messages for the tests of the live count and the unread
e-mail, made through the models as the send service does (its branch is not
merged here yet: after the merge, `say` can call messaging.services instead)."""

import contextlib
from collections.abc import Iterator
from datetime import datetime
from types import ModuleType

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.messaging.models import Conversation, Message
from tengja.professionals.models import Professional

Role = Booking.Role


def conversation_of(*, professional: Professional, client: User) -> Conversation:
    return Conversation.objects.get_or_create(professional=professional, client=client)[0]


def say(
    conversation: Conversation,
    role: str,
    body: str = "Hello",
    *,
    at: datetime | None = None,
    file_name: str = "",
) -> Message:
    """A message from `role`'s side at `at`, with the conversation's newest marks
    set as a send sets them (a sender has read everything up to their own message)."""
    at = at or timezone.now()
    sender = conversation.client if role == Role.CLIENT else conversation.professional.user
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        sender_role=role,
        body=body,
        file_name=file_name,
        created_at=at,
    )
    conversation.last_message_at = at
    conversation.last_sender_role = role
    mark = "client_read_at" if role == Role.CLIENT else "professional_read_at"
    setattr(conversation, mark, at)
    conversation.save(update_fields=["last_message_at", "last_sender_role", mark])
    return message


def read(conversation: Conversation, role: str, *, at: datetime | None = None) -> None:
    """`role`'s side reads the conversation (as its page's GET does)."""
    mark = "client_read_at" if role == Role.CLIENT else "professional_read_at"
    setattr(conversation, mark, at or timezone.now())
    conversation.save(update_fields=[mark])


def _stub_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("messages")


def _urlconf_with_list() -> ModuleType:
    """tengja.urls with a "messaging:list" stand-in in place of the (still empty) messaging URLs."""
    import tengja.urls

    module = ModuleType("tests.messaging.stub_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        p for p in tengja.urls.urlpatterns if getattr(p, "app_name", None) != "messaging"
    ] + [path("", include(([path("messages/", _stub_list, name="list")], "messaging")))]
    return module


@contextlib.contextmanager
def messages_list_url(settings) -> Iterator[None]:
    """ "messaging:list", a stand-in until the pages' branch is merged (then a no-op)."""
    try:
        reverse("messaging:list")
    except NoReverseMatch:
        settings.ROOT_URLCONF = _urlconf_with_list()
    yield
