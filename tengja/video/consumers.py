"""WebRTC signalling for one session's call.

The consumer only relays session descriptions (offers and answers) and ICE
candidates between the session's client and professional, as the browsers'
"perfect negotiation" needs them (static/js/video.js); the media flows
between their browsers.
Everything a browser sends is checked and rebuilt before it is relayed:
anything malformed, oversized, too frequent or unknown is answered with an
error and dropped, and the call of the two who belong goes on.

The socket also closes from the server's side, with a code the page explains:
when the session is cancelled (both sockets) and when the browser session it
was opened in signs out (that socket; the other person hears "bye").
"""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from tengja.lib.realtime import session_key_digest, user_group
from tengja.video.access import Seat, seat_for
from tengja.video.services import session_group

MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP = 60_000
MAX_CANDIDATE = 2_000
# Rollbacks stay in the browser (setRemoteDescription rolls back by itself), so
# only offers and answers travel.
DESCRIPTION_TYPES = ("offer", "answer")
# At most this many messages in RATE_WINDOW seconds (ICE gathering sends bursts).
RATE_LIMIT = 200
RATE_WINDOW = 10.0
REFUSED = 4403
NOT_FOUND = 4404
REPLACED = 4409
CANCELLED = 4410  # as HTTP 410 Gone: the session is no more
SIGNED_OUT = 4401  # as HTTP 401: no longer signed in
UNAVAILABLE = 4503


class MessageError(ValueError):
    pass


def _int(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise MessageError(f"{name} must be a whole number")
    return value


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise MessageError(f"{name} must be text of at most {limit} characters")
    return value


def _bool(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise MessageError(f"{name} must be true or false")
    return value


def _object(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise MessageError(f"{name} must be an object")
    return value


def _optional_text(value, name: str, limit: int) -> str | None:
    return None if value is None else _text(value, name, limit)


def clean_description(value: object) -> dict:
    description = _object(value, "description")
    kind = description.get("type")
    if kind not in DESCRIPTION_TYPES:
        raise MessageError("description type must be offer or answer")
    return {"type": kind, "sdp": _text(description.get("sdp"), "sdp", MAX_SDP)}


def clean_candidate(value: object) -> dict | None:
    """An RTCIceCandidateInit, or None: the sender has no more candidates."""
    if value is None:
        return None
    candidate = _object(value, "candidate")
    index = candidate.get("sdpMLineIndex")
    return {
        "candidate": _text(candidate.get("candidate"), "candidate", MAX_CANDIDATE),
        "sdpMid": _optional_text(candidate.get("sdpMid"), "sdpMid", 64),
        "sdpMLineIndex": None if index is None else _int(index, "sdpMLineIndex"),
        "usernameFragment": _optional_text(
            candidate.get("usernameFragment"), "usernameFragment", 256
        ),
    }


def clean_message(data: object) -> dict:
    """The message to relay, rebuilt from known fields only, or MessageError."""
    if not isinstance(data, dict):
        raise MessageError("a message is a JSON object")
    kind = data.get("type")
    if kind in ("hello", "here"):
        # fresh: the sender has no peer connection (see static/js/video.js).
        return {"type": kind, "fresh": _bool(data.get("fresh", True), "fresh")}
    if kind == "bye":
        return {"type": kind}
    if kind == "description":
        return {"type": kind, "description": clean_description(data.get("description"))}
    if kind == "candidate":
        if "candidate" not in data:
            raise MessageError("candidate is missing")
        return {"type": kind, "candidate": clean_candidate(data["candidate"])}
    if kind == "state":
        return {
            "type": "state",
            "audio": _bool(data.get("audio"), "audio"),
            "video": _bool(data.get("video"), "video"),
            "audioOnly": _bool(data.get("audioOnly", False), "audioOnly"),
            "screen": _bool(data.get("screen", False), "screen"),
        }
    raise MessageError("unknown message type")


class SessionConsumer(AsyncWebsocketConsumer):
    seat: Seat | None = None

    @database_sync_to_async
    def find_seat(self, code: str) -> Seat | None:
        return seat_for(user=self.scope["user"], code=code)

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.seat = await self.find_seat(code)
        if self.seat is None:
            # Accept-then-close lets the browser see why (a refused handshake says nothing).
            await self.accept()
            await self.close(code=REFUSED)
            return
        self.group = session_group(code)
        self.user_group = user_group(self.scope["user"].pk)
        self.session = session_key_digest(self.scope["session"].session_key)
        self.replaced = False
        self.ended = False
        self.sent: list[float] = []
        try:
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.channel_layer.group_add(self.user_group, self.channel_name)
        except Exception:
            # The shared channel layer (Redis) is away: say so, rather than fail silently.
            self.seat = None
            await self.accept()
            await self.send(text_data=json.dumps({"type": "unavailable"}))
            await self.close(code=UNAVAILABLE)
            return
        await self.accept()
        # One connection per person: a newer one (a reload, another tab) replaces an older.
        await self.channel_layer.group_send(
            self.group,
            {"type": "relay", "sender": self.channel_name, "role": self.seat.role, "kick": True},
        )

    async def disconnect(self, code: int) -> None:
        if self.seat is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_discard(self.user_group, self.channel_name)
        if not self.replaced and not self.ended:
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "relay",
                    "sender": self.channel_name,
                    "role": self.seat.role,
                    "payload": {"type": "gone"},
                },
            )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.seat is None or self.replaced or self.ended:
            return
        try:
            if text_data is None:
                raise MessageError("only text messages are accepted")
            if len(text_data.encode()) > MAX_MESSAGE_BYTES:
                raise MessageError("message too large")
            if not self._within_rate():
                raise MessageError("too many messages")
            try:
                data = json.loads(text_data)
            except (ValueError, RecursionError):  # RecursionError: "[[[[…]]]]" nested deep
                raise MessageError("not JSON") from None
            payload = clean_message(data)
        except MessageError as error:
            await self.send(text_data=json.dumps({"type": "error", "message": str(error)}))
            return
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "relay",
                "sender": self.channel_name,
                "role": self.seat.role,
                "payload": payload,
            },
        )

    def _within_rate(self) -> bool:
        now = time.monotonic()
        self.sent = [t for t in self.sent if now - t < RATE_WINDOW]
        self.sent.append(now)
        return len(self.sent) <= RATE_LIMIT

    async def relay(self, event: dict) -> None:
        if event["sender"] == self.channel_name or self.replaced or self.ended:
            return
        assert self.seat is not None  # seated on connect
        if event.get("kick"):
            if event["role"] == self.seat.role:
                self.replaced = True
                await self.send(text_data=json.dumps({"type": "replaced"}))
                await self.close(code=REPLACED)
            return
        await self.send(text_data=json.dumps({**event["payload"], "from": event["role"]}))

    async def session_end(self, event: dict) -> None:
        """A "session.end" message: the session was cancelled (sent to the session's
        group) or a browser session of this user signed out (to the user's group)."""
        if self.replaced or self.ended:
            return
        if event["reason"] == "signed_out":
            if event.get("session") != self.session:
                return  # another browser of the same person: still signed in there
            assert self.seat is not None  # seated on connect
            # The other person hears that this one left, as after Leave.
            await self.channel_layer.group_send(
                self.group,
                {
                    "type": "relay",
                    "sender": self.channel_name,
                    "role": self.seat.role,
                    "payload": {"type": "bye"},
                },
            )
            code = SIGNED_OUT
        else:
            code = CANCELLED
        self.ended = True
        await self.close(code=code)


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: accepted only to be closed with a reason, rather
    than the router's exception (a 500 in the server's log)."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=NOT_FOUND)
