"""The live socket (ws/live/), through the real ASGI stack (origin check,
session auth), with the in-memory channel layer."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from tengja.asgi import application
from tengja.bookings.models import Booking
from tengja.messaging.consumers import REFUSED, SIGNED_OUT, SPOKE, UNAVAILABLE
from tengja.messaging.live import unread_push
from tests.factories import ProfessionalFactory, UserFactory
from tests.messaging.helpers import conversation_of, read, say

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://127.0.0.1")
WAIT = 10  # seconds; a message that comes early ends the wait at once
Role = Booking.Role


@database_sync_to_async
def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_live(browser: Client | None = None, origin=ORIGIN):
    headers = [origin] if origin else []
    if browser is not None:
        headers.append((b"cookie", f"sessionid={browser.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


@database_sync_to_async
def pair():
    professional = ProfessionalFactory(user__name="Helga")
    client = UserFactory(name="Alice", language="is")
    return conversation_of(professional=professional, client=client), client, professional.user


@database_sync_to_async
def send(conversation, role, body="Hello"):
    """A message, sent as the page sends it (the send pushes to the other side)."""
    say(conversation, role, body)


async def test_a_page_hears_the_count_when_a_message_comes_and_when_it_is_read():
    conversation, alice, _helga = await pair()
    socket, connected = await open_live(await browser_for(alice))
    assert connected
    # On opening: what waits now (Alice's language: Icelandic).
    assert await socket.receive_json_from(timeout=WAIT) == {
        "type": "unread",
        "count": 0,
        "label": "0 ólesin",
        "conversation": "",
        "unread": False,
    }
    await send(conversation, Role.PROFESSIONAL, "Secret words")
    heard = await socket.receive_json_from(timeout=WAIT)
    assert heard == {
        "type": "unread",
        "count": 1,
        "label": "1 ólesin",
        "conversation": conversation.code,
        "unread": True,
    }
    assert "Secret" not in json.dumps(heard)  # the count, never the words

    await database_sync_to_async(read)(conversation, Role.CLIENT)  # pushes as it reads
    assert await socket.receive_json_from(timeout=WAIT) == {
        "type": "unread",
        "count": 0,
        "label": "0 ólesin",
        "conversation": conversation.code,
        "unread": False,
    }
    await socket.disconnect()


async def test_another_person_hears_nothing():
    conversation, _alice, helga = await pair()
    bob = await database_sync_to_async(UserFactory)()
    bobs, _ = await open_live(await browser_for(bob))
    helgas, _ = await open_live(await browser_for(helga))
    assert (await bobs.receive_json_from(timeout=WAIT))["count"] == 0
    assert (await helgas.receive_json_from(timeout=WAIT))["count"] == 0
    await send(conversation, Role.PROFESSIONAL)
    assert await bobs.receive_nothing()
    assert await helgas.receive_nothing()  # the sender is not told of their own message
    await bobs.disconnect()
    await helgas.disconnect()


async def test_a_push_about_no_conversation_in_particular():
    conversation, _alice, helga = await pair()
    socket, _ = await open_live(await browser_for(helga))
    await socket.receive_json_from(timeout=WAIT)
    await database_sync_to_async(say)(conversation, Role.CLIENT)
    await socket.receive_json_from(timeout=WAIT)  # the send's own push
    await database_sync_to_async(unread_push)(user=helga)
    assert await socket.receive_json_from(timeout=WAIT) == {
        "type": "unread",
        "count": 1,
        "label": "1 unread",
        "conversation": "",
        "unread": False,
    }
    await socket.disconnect()


async def test_the_count_on_opening_is_what_waits():
    conversation, _alice, helga = await pair()
    await database_sync_to_async(say)(conversation, Role.CLIENT)
    socket, _ = await open_live(await browser_for(helga))
    assert (await socket.receive_json_from(timeout=WAIT))["count"] == 1
    await socket.disconnect()


async def test_a_visitor_is_refused_with_a_reason():
    socket, connected = await open_live()
    assert connected  # accepted only to say why
    assert await socket.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": REFUSED,
    }
    await socket.disconnect()


async def test_another_origin_is_refused():
    _conversation, alice, _helga = await pair()
    _socket, connected = await open_live(
        await browser_for(alice), origin=(b"origin", b"https://evil.example")
    )
    assert not connected


async def test_signing_out_closes_that_browsers_socket_only():
    _conversation, alice, _helga = await pair()
    here = await browser_for(alice)
    elsewhere = await browser_for(alice)
    this, _ = await open_live(here)
    other, _ = await open_live(elsewhere)
    await this.receive_json_from(timeout=WAIT)
    await other.receive_json_from(timeout=WAIT)

    response = await database_sync_to_async(elsewhere.post)(reverse("accounts:logout"))
    assert response.status_code == 302
    # Another browser session's sign-out: this one stays, and still hears.
    assert await other.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": SIGNED_OUT,
    }
    assert await this.receive_nothing()

    response = await database_sync_to_async(here.post)(reverse("accounts:logout"))
    assert await this.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": SIGNED_OUT,
    }
    await this.disconnect()
    await other.disconnect()


async def test_a_session_end_of_another_kind_is_heard_and_ignored():
    """Every message type sent to the user's group has a handler (a missing one
    would crash the consumer)."""
    from channels.layers import get_channel_layer

    from tengja.lib.realtime import user_group

    conversation, alice, _helga = await pair()
    socket, _ = await open_live(await browser_for(alice))
    await socket.receive_json_from(timeout=WAIT)
    layer = get_channel_layer()
    await layer.group_send(user_group(alice.pk), {"type": "session.end", "reason": "cancelled"})
    await layer.group_send(
        user_group(alice.pk), {"type": "session.end", "reason": "signed_out", "session": "x"}
    )
    assert await socket.receive_nothing()
    await send(conversation, Role.PROFESSIONAL)
    assert (await socket.receive_json_from(timeout=WAIT))["count"] == 1
    await socket.disconnect()


async def test_a_browser_that_speaks_is_closed():
    _conversation, alice, _helga = await pair()
    socket, _ = await open_live(await browser_for(alice))
    await socket.receive_json_from(timeout=WAIT)
    await socket.send_to(text_data=json.dumps({"type": "unread", "count": 99}))
    assert await socket.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": SPOKE,
    }
    await socket.disconnect()


async def test_a_push_that_rolls_back_says_nothing():
    import contextlib

    from django.db import transaction

    conversation, alice, _helga = await pair()
    socket, _ = await open_live(await browser_for(alice))
    await socket.receive_json_from(timeout=WAIT)

    @database_sync_to_async
    def send_then_fail():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            say(conversation, Role.PROFESSIONAL)
            unread_push(user=alice, conversation=conversation)
            raise RuntimeError("the send failed after the push was asked")

    await send_then_fail()
    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_without_the_channel_layer_the_socket_closes_quietly(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        _conversation, alice, _helga = await pair()
        socket, connected = await open_live(await browser_for(alice))
        assert connected
        assert (await socket.receive_output(timeout=WAIT))["code"] == UNAVAILABLE
    finally:
        channel_layers.backends.clear()


async def test_deleting_the_account_closes_its_sockets():
    from tengja.privacy.services import account_delete

    _conversation, alice, _helga = await pair()
    socket, _ = await open_live(await browser_for(alice))
    await socket.receive_json_from(timeout=WAIT)
    await database_sync_to_async(account_delete)(user=alice)
    assert await socket.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": SIGNED_OUT,
    }
    await socket.disconnect()
