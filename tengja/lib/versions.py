"""Names for "what has changed", so a cached fragment is keyed by what it shows.

A version is a random token kept in the cache under a name such as
`bookings-of-user:42`. A page caches what it renders under a key that includes
the token; whoever changes the data `bump`s the name, which drops the token
once the transaction commits, so the next reader makes a new one and renders
afresh. Nothing is ever invalidated by hand: stale fragments are simply never
asked for again and expire. docs/architecture.md lists each name and its writers.

Bumping after the commit matters: a reader who gets the new token then reads
committed data. (A reader still holding the old token may store an old
fragment under it, but nobody asks for that token again.) It is dropped at the
write as well, so what is read inside the writing transaction is fresh too.

With Redis (REDIS_URL) the tokens are shared by every process; without it they
are in the file cache, shared by the processes of one machine (the embedded
default's server, task worker and clock).
"""

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from asgiref.local import Local
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# Every cached fragment also expires on its own: what is not versioned (a session
# type renamed, a person's name) is at most this old.
FRAGMENT_TIMEOUT = 10 * 60

# A fragment with a form is rendered with this as its CSRF token (pass it as
# `csrf_token` in the template's context) and gets the reader's own token on the
# way out: a kept fragment never carries another session's token.
CSRF_PLACEHOLDER = "csrf0placeholder0for0a0kept0fragment"

logger = logging.getLogger(__name__)

T = TypeVar("T")


def bookings_of_user(user_id: int) -> str:
    """Changes whenever a session the user is client or professional of changes."""
    return f"v:bookings-of-user:{user_id}"


def payments_of_user(user_id: int) -> str:
    """Changes whenever a bill, payment or refund the user is client or professional
    of changes, or one of their saved cards."""
    return f"v:payments-of-user:{user_id}"


def notifications_of_user(user_id: int) -> str:
    """Changes whenever the user gets a notification or reads one."""
    return f"v:notifications-of-user:{user_id}"


def account_of(user_id: int) -> str:
    """Changes whenever the user joins or leaves a hub, their credits change, they
    become a professional or HR admin, or (for a professional) a hub asks to offer
    them or their picture changes (their set-up checklist)."""
    return f"v:account:{user_id}"


def hub_of(hub_id: int) -> str:
    """Changes whenever a hub's members, offers, credits or settings change."""
    return f"v:hub:{hub_id}"


def schedule_of(professional_id: int) -> str:
    """Changes whenever the professional's free time may have (sessions, hours, days
    off), or what a hub shows of them (session types, profile, a pause)."""
    return f"v:schedule:{professional_id}"


# Within a request (see `request_scope`): the tokens it has read, and the names
# it is sure to ask for, read with the first ones it asks for; likewise the
# fragments it is sure to read (the header and footer), read with its first.
_request = Local()
_ABSENT = object()  # read ahead, and not in the cache
_UNREAD = object()


@contextmanager
def request_scope(
    *, also: Iterable[str] = (), ahead: Callable[[], list[str] | None] | None = None
) -> Iterator[None]:
    """Read each name's token once per request: the header, the page and Home's
    cards ask for some of the same names. A name the request bumps is read again.
    `also` are names it will ask for anyway (the header's), fetched in the same
    round trip as the first ones it asks for.

    `ahead` gives the keys of fragments and values it will read anyway (the
    header's and footer's, `fragment_key` and `kept_key`), or None while it
    cannot tell yet: they are fetched with the first ones the request reads, and
    kept for it until it asks. (A key holds the tokens and parts it was made of:
    one the request has changed since is another key, read afresh.)"""
    _request.memo, _request.also = {}, list(also)
    _request.ahead, _request.read_ahead = [ahead] if ahead else [], {}
    try:
        yield
    finally:
        del _request.memo, _request.also, _request.ahead, _request.read_ahead


def read_ahead(keys: Callable[[], list[str] | None]) -> None:
    """Within a request, also fetch `keys` (see `request_scope`'s `ahead`) with the
    next fragments or values it reads: for a view that reads one later whose key
    it can tell by then (a member's balance, read with the hub's offers)."""
    if getattr(_request, "read_ahead", None) is not None:
        _request.ahead.append(keys)


def current(names: Iterable[str]) -> dict[str, str]:
    """The token of each name (one cache round trip; two for names never seen;
    none for names this request has read already)."""
    names = list(names)
    memo = getattr(_request, "memo", None)
    if memo is None:
        return _fetch(names)
    wanted = [name for name in dict.fromkeys([*names, *_request.also]) if name not in memo]
    _request.also = []
    if wanted:
        memo.update(_fetch(wanted))
    return {name: memo[name] for name in names}


def _fetch(names: list[str]) -> dict[str, str]:
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
    """Mark the names changed once the current transaction commits (and now)."""
    names = [name for name in names if name]
    memo = getattr(_request, "memo", None)
    if memo is not None:
        for name in names:
            memo.pop(name, None)
    if names:
        if transaction.get_connection().in_atomic_block:
            # Now as well, so a read inside this same transaction (a test's, or a
            # view's that writes and renders in one atomic block) is not served the
            # page kept before the write. Pages kept meanwhile by other readers are
            # under a token the drop at commit ends.
            _drop(names)
        transaction.on_commit(lambda: _drop(names))


def _drop(names: list[str]) -> None:
    try:
        cache.delete_many(names)
    except Exception:
        logger.warning("versions: not bumped, the cache is unavailable", exc_info=True)


def fragments_get(keys: Iterable[str]) -> dict:
    """Cached fragments by key; none when the cache is away. Within a request,
    those it will read anyway come along (see `request_scope`)."""
    keys = list(keys)
    read_ahead = getattr(_request, "read_ahead", None)
    found, wanted = {}, []
    for key in keys:
        value = read_ahead.pop(key, _UNREAD) if read_ahead else _UNREAD
        if value is _UNREAD:
            wanted.append(key)
        elif value is not _ABSENT:
            found[key] = value
    if not wanted:
        return found
    extra = []
    if read_ahead is not None and _request.ahead:
        waiting = []
        for ahead in _request.ahead:
            keys = ahead()
            if keys is None:
                waiting.append(ahead)
            else:
                extra.extend(keys)
        _request.ahead = waiting
        extra = [key for key in dict.fromkeys(extra) if key not in wanted]
    try:
        fetched = cache.get_many(wanted + extra)
    except Exception:
        logger.warning("versions: the cache is unavailable", exc_info=True)
        return found
    for key in extra:
        read_ahead[key] = fetched.get(key, _ABSENT)
    found.update((key, fetched[key]) for key in wanted if key in fetched)
    return found


def fragments_set(fragments: dict) -> None:
    """Keep fragments for FRAGMENT_TIMEOUT; without the cache, they are made again."""
    read_ahead = getattr(_request, "read_ahead", None)
    if read_ahead:
        for key in fragments:
            read_ahead.pop(key, None)  # what was read ahead is older than this
    try:
        cache.set_many(fragments, timeout=FRAGMENT_TIMEOUT)
    except Exception:
        logger.warning("versions: the cache is unavailable", exc_info=True)


def _key(kind: str, parts: tuple, depends_on: Iterable[str]) -> str:
    """The key of what `parts` name as of the current tokens of `depends_on`:
    short whatever the parts hold (free text from a query string, fifty tokens)."""
    tokens = current(depends_on)
    text = repr((parts, sorted(tokens.items())))
    return f"{kind}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"


def kept_key(*parts: object, depends_on: Iterable[str]) -> str:
    """The key `kept` keeps its value under."""
    return _key("kept", parts, depends_on)


def fragment_key(*parts: object, depends_on: Iterable[str]) -> str:
    """The key `fragment` keeps its HTML under: the active language and time zone
    are part of it."""
    return _key(
        "fragment",
        (*parts, translation.get_language() or "", timezone.get_current_timezone_name()),
        depends_on,
    )


def kept(*parts: object, depends_on: Iterable[str], compute: Callable[[], T]) -> T:
    """A value (anything picklable) computed once per change of `depends_on`."""
    key = kept_key(*parts, depends_on=depends_on)
    found = fragments_get([key])
    if key in found:
        return found[key]
    value = compute()
    fragments_set({key: value})
    return value


def fragment(
    *parts: object,
    depends_on: Iterable[str],
    render: Callable[[], str | tuple[str, datetime | None]],
    request: HttpRequest | None = None,
) -> SafeString:
    """HTML rendered by `render`, kept under `parts`, the tokens of `depends_on`,
    and the active language and time zone (what a page's HTML is written in).
    The key is a hash: pass each part whole, as the render uses it.

    `render` may also say until when its HTML holds, for what changes with the
    clock rather than the data (a Join button that opens at a set time): it then
    returns (html, until), and after `until` the HTML is rendered again.

    With `request`, CSRF_PLACEHOLDER in the HTML becomes the request's token."""
    key = fragment_key(*parts, depends_on=depends_on)
    kept = fragments_get([key]).get(key)
    if kept is None or (kept[1] is not None and timezone.now() >= kept[1]):
        made = render()
        html, until = made if isinstance(made, tuple) else (made, None)
        kept = (str(html), until)
        fragments_set({key: kept})
    html = kept[0]
    if request is not None and CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    # Our own template's output, stored as a plain string.
    return mark_safe(html)  # noqa: S308
