"""The live socket of every signed-in page (ws/live/, static/js/live.js).

It only speaks: it tells the page how many conversations wait unread (when the
socket opens, and whenever tengja.messaging.live.unread_push says so) and which
conversation changed. The browser has nothing to say on it; a socket that
speaks anyway is closed.

Like the call's socket, it closes when the browser session it was opened in
signs out (the "session.end" that tengja.accounts sends to the user's group);
the same person's other browsers keep theirs. Without the channel layer (Redis
away) it closes with UNAVAILABLE and the page tries again later; the pages
themselves work without it (the count is right on every load).
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import ngettext

from tengja.lib.realtime import session_key_digest, user_group
from tengja.messaging.live import live_group
from tengja.messaging.selectors import unread_count

# Close codes (static/js/live.js stops for good on all but UNAVAILABLE).
SPOKE = 4400  # the browser sent something: this socket's pages never do
SIGNED_OUT = 4401  # as HTTP 401: that browser session signed out
REFUSED = 4403  # not signed in
UNAVAILABLE = 4503  # the channel layer is away: try again later


class LiveConsumer(AsyncWebsocketConsumer):
    joined: tuple[str, ...] = ()
    ended = False

    @database_sync_to_async
    def count(self) -> int:
        return unread_count(user=self.scope["user"])

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            # Accept-then-close lets the browser see why (a refused handshake says nothing).
            await self.accept()
            await self.close(code=REFUSED)
            return
        self.session = session_key_digest(self.scope["session"].session_key)
        groups = (live_group(user.pk), user_group(user.pk))
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            await self.accept()
            await self.close(code=UNAVAILABLE)
            return
        self.joined = groups
        await self.accept()
        # What is unread now: a page that reconnects after a while catches up.
        await self.tell(count=await self.count())

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                return  # the layer is away; its groups expire on their own
        self.joined = ()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.ended:
            self.ended = True
            await self.close(code=SPOKE)

    async def tell(self, *, count: int, conversation: str = "", unread: bool = False) -> None:
        user = self.scope["user"]
        with translation.override(user.language):
            label = ngettext("%(count)s unread", "%(count)s unread", count) % {"count": count}
        await self.send(
            text_data=json.dumps(
                {
                    "type": "unread",
                    "count": count,
                    # The screen reader's words after "Messages", in the person's language.
                    "label": label,
                    "conversation": conversation,
                    "unread": unread,
                }
            )
        )

    async def messages_unread(self, event: dict) -> None:
        """From tengja.messaging.live.unread_push."""
        if self.ended:
            return
        await self.tell(
            count=int(event["count"]),
            conversation=str(event.get("conversation") or ""),
            unread=bool(event.get("unread")),
        )

    async def session_end(self, event: dict) -> None:
        """The user's group carries "session.end" (tengja.accounts.services
        .user_signed_out): close if it is this browser session that signed out."""
        if self.ended or event.get("reason") != "signed_out":
            return
        if event.get("session") != self.session:
            return  # another browser of the same person: still signed in there
        self.ended = True
        await self.close(code=SIGNED_OUT)
