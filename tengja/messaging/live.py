"""Telling a person's open pages, at once, that their unread messages changed
(tengja.messaging.consumers relays it to the browser; static/js/live.js shows it)."""

from django.db.models import Count, Q

from tengja.accounts.models import User
from tengja.lib.realtime import group_send_on_commit
from tengja.messaging.models import Conversation
from tengja.messaging.selectors import unread_for


def live_group(user_id: int) -> str:
    """Every open page of one user (not their call's socket, which hears only
    what tengja.lib.realtime.user_group carries)."""
    return f"live.{user_id}"


def unread_push(*, user: User, conversation: Conversation | None = None) -> None:
    """Send `user`'s unread count (and which conversation changed, if one did) to
    every open page of theirs, once the current transaction commits.

    `unread` says whether that conversation now waits unread for `user`: a page
    showing it fetches the new messages only then, so the read mark its fetch
    sets (and the push that follows, with `unread` false) ends there."""
    # One query for both: how many wait, and whether this one is among them.
    counts = Conversation.objects.filter(unread_for(user)).aggregate(
        count=Count("pk"),
        # (No conversation named: pk 0, which no row has.)
        here=Count("pk", filter=Q(pk=conversation.pk if conversation else 0)),
    )
    group_send_on_commit(
        live_group(user.pk),
        {
            "type": "messages.unread",
            "count": counts["count"],
            "conversation": conversation.code if conversation else "",
            "unread": bool(counts["here"]),
        },
    )
