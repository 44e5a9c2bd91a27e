"""Names for "what has changed", so a kept fragment is known to be current.

A version is a random token kept in the cache under a name such as
`bookings-of-user:42`. A page keeps what it renders under a key made of what
it shows (user, page, language...), stamped with the tokens of the versions it
depends on; whoever changes the data `bump`s the name, which drops the token
once the transaction commits, so the next reader makes a new one, finds the
stamp no longer matches and renders afresh. Nothing is ever invalidated by
hand. docs/architecture.md lists each name and its writers.

The key does not hold the tokens, so a page reads its tokens and what it kept
in one round trip, and checks the stamp after (rather than reading the tokens
first to work out the key, and the fragment second).

Bumping after the commit matters: a reader who gets the new token then reads
committed data. (A reader still holding the old token may keep an old
fragment, stamped with that token, which no reader takes for current.) It is
dropped at the write as well, so what is read inside the writing transaction
is fresh too.

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
# fragments and values it is sure to read (the header and footer), read with
# its first.
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
    cannot tell yet: they are fetched in the first round trip the request makes
    once it can, and kept for it until it asks. (Each is checked against the
    tokens when it is read, like any other.)"""
    _request.memo, _request.also = {}, list(also)
    _request.ahead, _request.read_ahead = [ahead] if ahead else [], {}
    try:
        yield
    finally:
        del _request.memo, _request.also, _request.ahead, _request.read_ahead


def read_ahead(keys: Callable[[], list[str] | None], *, names: Iterable[str] = ()) -> None:
    """Within a request, also fetch `keys` (see `request_scope`'s `ahead`), and the
    tokens of `names` they depend on, in the next round trip it makes: for a view
    that reads a value later whose key it knows by then (a member's balance, read
    with the hub's offers; Home's sessions, with its cards)."""
    if getattr(_request, "read_ahead", None) is not None:
        _request.ahead.append(keys)
        _request.also.extend(names)


def current(names: Iterable[str]) -> dict[str, str]:
    """The token of each name (one cache round trip; two for names never seen;
    none for names this request has read already)."""
    tokens, _ = _get(list(names), [])
    return tokens


def fragments_get(keys: Iterable[str]) -> dict:
    """Cached fragments by key; none when the cache is away. Within a request,
    those it will read anyway come along (see `request_scope`)."""
    _, found = _get([], list(keys))
    return found


def _get(names: list[str], keys: list[str]) -> tuple[dict[str, str], dict]:
    """The tokens of `names` and what is kept under `keys`, in one round trip
    (none when this request has read them all already), with the names and keys
    the request reads anyway (`request_scope`)."""
    memo = getattr(_request, "memo", None)
    ahead_values = getattr(_request, "read_ahead", None)
    if memo is None:
        wanted_names = list(dict.fromkeys(names))
    else:
        wanted_names = [n for n in dict.fromkeys([*names, *_request.also]) if n not in memo]
    found, wanted_keys = {}, []
    for key in keys:
        value = ahead_values.pop(key, _UNREAD) if ahead_values else _UNREAD
        if value is _UNREAD:
            wanted_keys.append(key)
        elif value is not _ABSENT:
            found[key] = value
    if not wanted_names and not wanted_keys:
        return {name: memo[name] for name in names}, found
    extra = []
    if ahead_values is not None:
        _request.also = []
        waiting = []
        for ahead in _request.ahead:
            ahead_keys = ahead()
            if ahead_keys is None:
                waiting.append(ahead)
            else:
                extra.extend(ahead_keys)
        _request.ahead = waiting
        extra = [key for key in dict.fromkeys(extra) if key not in wanted_keys]
    try:
        fetched = cache.get_many(wanted_names + wanted_keys + extra)
        missing = [name for name in wanted_names if name not in fetched]
        if missing:
            fetched.update(_make(missing))
    except Exception:
        # The cache (Redis) is away: fresh tokens, so pages render without it.
        logger.warning("versions: the cache is unavailable", exc_info=True)
        fetched = {name: secrets.token_hex(6) for name in wanted_names}
        extra = []
    # A token bumped again (or evicted) between `_make` and its read: a fresh
    # one, which no kept stamp matches.
    tokens = {name: fetched.get(name) or secrets.token_hex(6) for name in wanted_names}
    for key in extra:
        ahead_values[key] = fetched.get(key, _ABSENT)
    found.update((key, fetched[key]) for key in wanted_keys if key in fetched)
    if memo is None:
        return tokens, found
    memo.update(tokens)
    return {name: memo[name] for name in names}, found


def _make(names: list[str]) -> dict[str, str]:
    """New tokens for names never seen (or bumped). `add` keeps a token another
    process made meanwhile; read back what won."""
    for name in names:
        cache.add(name, secrets.token_hex(6), timeout=None)
    return cache.get_many(names)


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
            # stamped with a token the drop at commit ends.
            _drop(names)
        transaction.on_commit(lambda: _drop(names))


def _drop(names: list[str]) -> None:
    try:
        cache.delete_many(names)
    except Exception:
        logger.warning("versions: not bumped, the cache is unavailable", exc_info=True)


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


def _key(kind: str, parts: tuple) -> str:
    """The key of what `parts` name: short whatever the parts hold (free text from
    a query string)."""
    return f"{kind}:{hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()}"


def kept_key(*parts: object) -> str:
    """The key `kept` keeps its value under."""
    return _key("kept", parts)


def fragment_key(*parts: object) -> str:
    """The key `fragment` keeps its HTML under: the active language and time zone
    are part of it."""
    return _key(
        "fragment",
        (*parts, translation.get_language() or "", timezone.get_current_timezone_name()),
    )


def _stamp(tokens: dict[str, str]) -> str:
    return hashlib.blake2b(repr(sorted(tokens.items())).encode(), digest_size=8).hexdigest()


def _lookup(key: str, depends_on: Iterable[str]) -> tuple[str, object]:
    """The current stamp of `depends_on`, and what is kept under `key` if it was
    made under that stamp (else _ABSENT): one round trip for both."""
    tokens, found = _get(list(depends_on), [key])
    stamp = _stamp(tokens)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == stamp:
        return stamp, stored[1]
    return stamp, _ABSENT


def kept(*parts: object, depends_on: Iterable[str], compute: Callable[[], T]) -> T:
    """A value (anything picklable) computed once per change of `depends_on`."""
    key = kept_key(*parts)
    stamp, value = _lookup(key, depends_on)
    if value is _ABSENT:
        value = compute()
        fragments_set({key: (stamp, value)})
    return value


def fragment(
    *parts: object,
    depends_on: Iterable[str],
    render: Callable[[], str | tuple[str, datetime | None]],
    request: HttpRequest | None = None,
) -> SafeString:
    """HTML rendered by `render`, kept under `parts` and the active language and
    time zone (what a page's HTML is written in), and stamped with the tokens of
    `depends_on`. The key is a hash: pass each part whole, as the render uses it.

    `render` may also say until when its HTML holds, for what changes with the
    clock rather than the data (a Join button that opens at a set time): it then
    returns (html, until), and after `until` the HTML is rendered again.

    With `request`, CSRF_PLACEHOLDER in the HTML becomes the request's token."""
    key = fragment_key(*parts)
    stamp, kept = _lookup(key, depends_on)
    if kept is _ABSENT or (kept[1] is not None and timezone.now() >= kept[1]):
        made = render()
        html, until = made if isinstance(made, tuple) else (made, None)
        kept = (str(html), until)
        fragments_set({key: (stamp, kept)})
    html = kept[0]
    if request is not None and CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    # Our own template's output, stored as a plain string.
    return mark_safe(html)  # noqa: S308
