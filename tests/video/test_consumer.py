"""The signalling consumer, through the real ASGI stack (origin check, session auth)."""

import contextlib
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tengja.asgi import application
from tengja.bookings.models import Booking
from tengja.bookings.services import booking_cancel
from tengja.video.consumers import (
    CANCELLED,
    MAX_MESSAGE_BYTES,
    MAX_SDP,
    RATE_LIMIT,
    SIGNED_OUT,
)
from tests.factories import BookingFactory, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]
ORIGIN = (b"origin", b"http://127.0.0.1")
# How long to wait for a message that must come: generous, since a loaded machine
# is slow, and a message that comes early ends the wait at once.
WAIT = 10


@database_sync_to_async
def browser_for(user) -> Client:
    """A browser session of `user` (each one its own session)."""
    client = Client()
    client.force_login(user)
    return client


def cookie_of(browser: Client) -> bytes:
    return f"sessionid={browser.cookies['sessionid'].value}".encode()


async def cookie_for(user) -> bytes:
    return cookie_of(await browser_for(user))


@database_sync_to_async
def make_booking(**kwargs) -> Booking:
    kwargs.setdefault("starts_at", timezone.now() + timedelta(minutes=5))
    return BookingFactory(**kwargs)


async def open_socket(booking, user=None, origin=ORIGIN, code=None, browser=None):
    headers = [origin] if origin else []
    if browser is not None:
        headers.append((b"cookie", cookie_of(browser)))
    elif user is not None:
        headers.append((b"cookie", await cookie_for(user)))
    communicator = WebsocketCommunicator(
        application, f"/ws/sessions/{code or booking.code}/", headers=headers
    )
    connected, _ = await communicator.connect()
    return communicator, connected


async def expect_refused(communicator, connected):
    assert connected  # accepted only to say why, then closed
    message = await communicator.receive_output(timeout=WAIT)
    assert message == {"type": "websocket.close", "code": 4403}
    await communicator.disconnect()


async def pair():
    booking = await make_booking()
    client_user = await database_sync_to_async(lambda: booking.client)()
    pro_user = await database_sync_to_async(lambda: booking.professional.user)()
    client_ws, ok1 = await open_socket(booking, client_user)
    pro_ws, ok2 = await open_socket(booking, pro_user)
    assert ok1 and ok2
    return booking, client_ws, pro_ws


HELLO = {"type": "hello", "fresh": True, "from": "client"}
CANDIDATE = {
    "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


async def test_client_and_professional_relay_to_each_other():
    _booking, client_ws, pro_ws = await pair()
    await client_ws.send_to(text_data=json.dumps({"type": "hello", "fresh": True}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await pro_ws.send_to(text_data=json.dumps({"type": "here", "fresh": False}))
    assert await client_ws.receive_json_from(timeout=WAIT) == {
        "type": "here",
        "fresh": False,
        "from": "professional",
    }
    offer = {
        "type": "description",
        "description": {"type": "offer", "sdp": "v=0 fake", "extra": "dropped"},
        "extra": "dropped",
    }
    await pro_ws.send_to(text_data=json.dumps(offer))
    assert await client_ws.receive_json_from(timeout=WAIT) == {
        "type": "description",
        "description": {"type": "offer", "sdp": "v=0 fake"},
        "from": "professional",
    }
    await client_ws.send_to(
        text_data=json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "x": 1}})
    )
    assert await pro_ws.receive_json_from(timeout=WAIT) == {
        "type": "candidate",
        "candidate": CANDIDATE,
        "from": "client",
    }
    # null: the end of the sender's candidates.
    await client_ws.send_to(text_data=json.dumps({"type": "candidate", "candidate": None}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == {
        "type": "candidate",
        "candidate": None,
        "from": "client",
    }
    assert await client_ws.receive_nothing()  # nobody hears their own messages
    await client_ws.disconnect()
    assert await pro_ws.receive_json_from(timeout=WAIT) == {"type": "gone", "from": "client"}
    await pro_ws.disconnect()


def description(kind="offer", sdp="v=0"):
    return {"type": "description", "description": {"type": kind, "sdp": sdp}}


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"type": "launch-missiles"}),
        # The old fixed-offerer messages are gone.
        json.dumps({"type": "offer", "sdp": "x", "gen": 1}),
        json.dumps({"type": "restart"}),
        json.dumps({"type": "hello", "fresh": "yes"}),
        json.dumps({"type": "description"}),
        json.dumps({"type": "description", "description": "v=0"}),
        json.dumps(description(kind="rollback")),
        json.dumps(description(kind="pranswer")),
        json.dumps(description(sdp=5)),
        json.dumps(description(sdp=None)),
        json.dumps(description(sdp="x" * (MAX_SDP + 1))),
        json.dumps(description(sdp="x" * (MAX_MESSAGE_BYTES + 1))),
        json.dumps({"type": "candidate"}),
        json.dumps({"type": "candidate", "candidate": "x"}),
        json.dumps({"type": "candidate", "candidate": {"candidate": 5}}),
        json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "sdpMLineIndex": -1}}),
        json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "sdpMLineIndex": True}}),
        json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "sdpMid": "x" * 65}}),
        json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "usernameFragment": 1}}),
        json.dumps({"type": "candidate", "candidate": {**CANDIDATE, "candidate": "x" * 2001}}),
        json.dumps({"type": "state", "audio": "yes", "video": True}),
    ],
)
async def test_malformed_or_oversized_messages_are_refused_and_the_call_goes_on(bad):
    _booking, client_ws, pro_ws = await pair()
    await client_ws.send_to(text_data=bad)
    reply = await client_ws.receive_json_from(timeout=WAIT)
    assert reply["type"] == "error"
    assert await pro_ws.receive_nothing()  # nothing relayed
    # Both are still connected and can go on talking.
    await client_ws.send_to(text_data=json.dumps({"type": "hello"}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await client_ws.disconnect()
    await pro_ws.disconnect()


async def test_binary_messages_are_refused():
    _booking, client_ws, pro_ws = await pair()
    await client_ws.send_to(bytes_data=b"\x00\x01")
    assert (await client_ws.receive_json_from(timeout=WAIT))["type"] == "error"
    assert await pro_ws.receive_nothing()
    await client_ws.disconnect()
    await pro_ws.disconnect()


async def test_a_flood_is_cut_off():
    _booking, client_ws, pro_ws = await pair()
    for _ in range(RATE_LIMIT + 5):
        await client_ws.send_to(text_data=json.dumps({"type": "hello"}))
    # Wait for what must come (each message, however slow the machine), then
    # check that nothing more does.
    for _ in range(RATE_LIMIT):
        assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    for _ in range(5):
        assert (await client_ws.receive_json_from(timeout=WAIT))["type"] == "error"
    assert await pro_ws.receive_nothing(timeout=0.5)
    assert await client_ws.receive_nothing(timeout=0.5)
    await client_ws.disconnect()
    await pro_ws.disconnect()


async def test_a_newer_connection_replaces_an_older_one():
    booking, client_ws, pro_ws = await pair()
    client_user = await database_sync_to_async(lambda: booking.client)()
    second, ok = await open_socket(booking, client_user)
    assert ok
    assert await client_ws.receive_json_from(timeout=WAIT) == {"type": "replaced"}
    assert (await client_ws.receive_output(timeout=WAIT))["code"] == 4409
    await second.send_to(text_data=json.dumps({"type": "hello"}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await second.disconnect()
    await pro_ws.disconnect()


async def test_visitor_is_refused():
    booking = await make_booking()
    await expect_refused(*await open_socket(booking))


async def test_another_client_and_another_professional_are_refused():
    booking = await make_booking()
    stranger = await database_sync_to_async(UserFactory)()
    other_pro = await database_sync_to_async(ProfessionalFactory)()
    await expect_refused(*await open_socket(booking, stranger))
    await expect_refused(
        *await open_socket(booking, await database_sync_to_async(lambda: other_pro.user)())
    )


async def test_unknown_room_is_refused():
    booking = await make_booking()
    user = await database_sync_to_async(lambda: booking.client)()
    await expect_refused(*await open_socket(booking, user, code="no-such-room"))


@pytest.mark.parametrize(
    "starts_in",
    [timedelta(minutes=16), -timedelta(minutes=50 + 11)],
    ids=["too-early", "after-end-and-grace"],
)
async def test_outside_the_join_window_is_refused(starts_in):
    booking = await make_booking(starts_at=timezone.now() + starts_in)
    user = await database_sync_to_async(lambda: booking.client)()
    await expect_refused(*await open_socket(booking, user))


async def test_within_the_grace_after_the_end_is_allowed():
    booking = await make_booking(starts_at=timezone.now() - timedelta(minutes=55))
    user = await database_sync_to_async(lambda: booking.client)()
    communicator, connected = await open_socket(booking, user)
    assert connected
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_cancelled_session_is_refused():
    booking = await make_booking()

    @database_sync_to_async
    def cancel():
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
        return booking.client

    user = await cancel()
    await expect_refused(*await open_socket(booking, user))


async def test_foreign_origin_is_refused():
    booking = await make_booking()
    user = await database_sync_to_async(lambda: booking.client)()
    _communicator, connected = await open_socket(
        booking, user, origin=(b"origin", b"https://evil.example")
    )
    assert not connected


async def test_without_redis_the_call_page_hears_that_signalling_is_away(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        booking = await make_booking()
        user = await database_sync_to_async(lambda: booking.client)()
        communicator, connected = await open_socket(booking, user)
        assert connected
        assert await communicator.receive_json_from(timeout=WAIT) == {"type": "unavailable"}
        assert (await communicator.receive_output(timeout=WAIT))["code"] == 4503
    finally:
        channel_layers.backends.clear()


async def test_deeply_nested_json_is_refused_and_the_call_goes_on():
    _booking, client_ws, pro_ws = await pair()
    await client_ws.send_to(text_data="[" * 30_000 + "]" * 30_000)
    assert await client_ws.receive_json_from(timeout=WAIT) == {
        "type": "error",
        "message": "not JSON",
    }
    await client_ws.send_to(text_data=json.dumps({"type": "hello"}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await client_ws.disconnect()
    await pro_ws.disconnect()


async def test_an_unrouted_path_is_closed_with_not_found():
    communicator = WebsocketCommunicator(application, "/ws/nowhere/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected  # accepted only to say why, as a refused seat is
    assert await communicator.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": 4404,
    }
    await communicator.disconnect()


async def expect_closed(communicator, code):
    assert await communicator.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": code,
    }
    await communicator.disconnect()


async def test_cancelling_the_session_ends_the_call_for_both():
    booking, client_ws, pro_ws = await pair()
    pro_user = await database_sync_to_async(lambda: booking.professional.user)()
    await database_sync_to_async(booking_cancel)(booking=booking, by=pro_user)
    await expect_closed(client_ws, CANCELLED)
    await expect_closed(pro_ws, CANCELLED)


async def test_a_cancellation_that_rolls_back_ends_nothing():
    booking, client_ws, pro_ws = await pair()
    pro_user = await database_sync_to_async(lambda: booking.professional.user)()

    @database_sync_to_async
    def cancel_then_fail():
        with contextlib.suppress(RuntimeError), transaction.atomic():
            booking_cancel(booking=booking, by=pro_user)
            raise RuntimeError("something after the cancellation failed")

    await cancel_then_fail()
    assert await client_ws.receive_nothing()
    assert await pro_ws.receive_nothing()
    await client_ws.send_to(text_data=json.dumps({"type": "hello"}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await client_ws.disconnect()
    await pro_ws.disconnect()


async def test_signing_out_ends_that_browsers_call_and_the_other_hears_bye():
    booking = await make_booking()
    client_user = await database_sync_to_async(lambda: booking.client)()
    pro_user = await database_sync_to_async(lambda: booking.professional.user)()
    browser = await browser_for(client_user)
    client_ws, _ = await open_socket(booking, browser=browser)
    pro_ws, _ = await open_socket(booking, pro_user)

    response = await database_sync_to_async(browser.post)(reverse("accounts:logout"))
    assert response.status_code == 302
    await expect_closed(client_ws, SIGNED_OUT)
    assert await pro_ws.receive_json_from(timeout=WAIT) == {"type": "bye", "from": "client"}
    assert await pro_ws.receive_nothing()  # no "gone" after the "bye"
    await pro_ws.disconnect()


async def test_signing_out_in_another_browser_leaves_this_call_alone():
    booking, client_ws, pro_ws = await pair()
    client_user = await database_sync_to_async(lambda: booking.client)()
    elsewhere = await browser_for(client_user)
    await database_sync_to_async(elsewhere.post)(reverse("accounts:logout"))
    assert await client_ws.receive_nothing()
    await client_ws.send_to(text_data=json.dumps({"type": "hello"}))
    assert await pro_ws.receive_json_from(timeout=WAIT) == HELLO
    await client_ws.disconnect()
    await pro_ws.disconnect()
