"""Names for "what has changed", so a cached fragment is keyed by what it shows.

A version is a random token kept in the cache under a name such as
`bookings-of-user:42`. A page caches what it renders under a key that includes
the token; whoever changes the data `bump`s the name, which drops the token
once the transaction commits, so the next reader makes a new one and renders
afresh. Nothing is ever invalidated by hand: stale fragments are simply never
asked for again and expire.

Bumping after the commit matters: a reader who gets the new token then reads
committed data. (A reader still holding the old token may store an old
fragment under it, but nobody asks for that token again.)

With Redis (REDIS_URL) the tokens are shared by every process; without it each
process has its own, which is right only for one process (the embedded default).
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# Every cached fragment also expires on its own: what is not versioned (a session
# type renamed, a person's name) is at most this old.
FRAGMENT_TIMEOUT = 10 * 60

logger = logging.getLogger(__name__)


def bookings_of_user(user_id: int) -> str:
    """Changes whenever a session the user is client or professional of changes."""
    return f"v:bookings-of-user:{user_id}"


def schedule_of(professional_id: int) -> str:
    """Changes whenever the professional's free time may have: sessions, hours, days off."""
    return f"v:schedule:{professional_id}"


def current(names: Iterable[str]) -> dict[str, str]:
    """The token of each name (one cache round trip; two for names never seen)."""
    names = list(names)
    try:
        found = cache.get_many(names)
        missing = {name: secrets.token_hex(6) for name in names if name not in found}
        if missing:
            # `add` keeps a token another process made meanwhile; read back what won.
            for name, token in missing.items():
                cache.add(name, token, timeout=None)
            found.update(cache.get_many(list(missing)))
    except Exception:
        # The cache (Redis) is away: fresh tokens, so pages render without it.
        logger.warning("versions: the cache is unavailable", exc_info=True)
        return {name: secrets.token_hex(6) for name in names}
    return found


def bump(*names: str) -> None:
    """Mark the names changed once the current transaction commits."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _drop(names))


def _drop(names: list[str]) -> None:
    try:
        cache.delete_many(names)
    except Exception:
        logger.warning("versions: not bumped, the cache is unavailable", exc_info=True)


def fragments_get(keys: Iterable[str]) -> dict:
    """Cached fragments by key; none when the cache is away."""
    try:
        return cache.get_many(list(keys))
    except Exception:
        logger.warning("versions: the cache is unavailable", exc_info=True)
        return {}


def fragments_set(fragments: dict) -> None:
    """Keep fragments for FRAGMENT_TIMEOUT; without the cache, they are made again."""
    try:
        cache.set_many(fragments, timeout=FRAGMENT_TIMEOUT)
    except Exception:
        logger.warning("versions: the cache is unavailable", exc_info=True)


def fragment(
    *parts: object,
    depends_on: Iterable[str],
    render: Callable[[], str | tuple[str, datetime | None]],
) -> SafeString:
    """HTML rendered by `render`, kept under `parts`, the tokens of `depends_on`,
    and the active language and time zone (what a page's HTML is written in).

    `render` may also say until when its HTML holds, for what changes with the
    clock rather than the data (a Join button that opens at a set time): it then
    returns (html, until), and after `until` the HTML is rendered again."""
    names = list(depends_on)
    tokens = current(names)
    key = ":".join(
        [
            "fragment",
            *(str(part) for part in parts),
            *(tokens[name] for name in names),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        ]
    )
    kept = fragments_get([key]).get(key)
    if kept is None or (kept[1] is not None and timezone.now() >= kept[1]):
        made = render()
        html, until = made if isinstance(made, tuple) else (made, None)
        kept = (str(html), until)
        fragments_set({key: kept})
    # Our own template's output, stored as a plain string.
    return mark_safe(kept[0])  # noqa: S308
