"""A request reads each version's token once (tengja.lib.versions.request_scope)."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tengja.lib import versions


class CountingCache:
    """The cache, noting the names of each round trip that reads tokens."""

    def __init__(self) -> None:
        self.reads: list[list[str]] = []

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        if any(key.startswith("v:") for key in keys):
            self.reads.append(sorted(keys))
        return cache.get_many(keys, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(cache, name)


@pytest.fixture
def token_reads(monkeypatch):
    counting = CountingCache()
    monkeypatch.setattr(versions, "cache", counting)
    return counting.reads


def test_a_request_reads_a_token_once_and_again_after_a_bump(db, token_reads):
    first = versions.current(["v:a", "v:b", "v:c"])  # outside a request: made and read
    token_reads.clear()
    with versions.request_scope(also=["v:a", "v:b"]):
        assert versions.current(["v:c"]) == {"v:c": first["v:c"]}
        assert token_reads == [["v:a", "v:b", "v:c"]]  # what it will ask for, at once
        assert versions.current(["v:a", "v:b"]) == {k: first[k] for k in ("v:a", "v:b")}
        assert len(token_reads) == 1
        versions.bump("v:a")  # this request changed it: read (and made) afresh
        again = versions.current(["v:a"])
        assert again["v:a"] != first["v:a"] and token_reads[-1] == ["v:a"]
    token_reads.clear()
    versions.current(["v:b"])  # outside the request: read from the cache each time
    versions.current(["v:b"])
    assert len(token_reads) == 2


def test_a_signed_in_page_reads_all_its_tokens_in_one_round_trip(client, alice, token_reads):
    client.force_login(alice)
    client.get(reverse("billing:payments"))  # the first read makes the tokens
    token_reads.clear()
    page = client.get(reverse("billing:payments"))
    assert page.status_code == 200
    assert len(token_reads) == 1  # the page's, the header's and the footer's
    assert {
        versions.payments_of_user(alice.pk),
        versions.notifications_of_user(alice.pk),
        versions.account_of(alice.pk),
    } <= set(token_reads[0])


class RoundTrips(CountingCache):
    """The cache, noting the keys of every round trip that reads."""

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        self.reads.append(keys)
        return cache.get_many(keys, *args, **kwargs)


@pytest.fixture
def round_trips(monkeypatch):
    counting = RoundTrips()
    monkeypatch.setattr(versions, "cache", counting)
    return counting.reads


def kept_keys(keys: list[str]) -> list[str]:
    return [key for key in keys if key.startswith(("fragment:", "kept:"))]


@pytest.mark.parametrize("name", ["billing:payments", "dashboard:calendar", "notifications:list"])
def test_a_kept_page_is_one_round_trip(client, alice, round_trips, name):
    client.force_login(alice)
    first = client.get(reverse(name))  # everything made and kept
    round_trips.clear()
    again = client.get(reverse(name))

    assert again.status_code == 200 and same_page(again.content, first.content)
    # The tokens, and the page's fragment, the header's values and the chrome.
    [keys] = round_trips
    assert len(kept_keys(keys)) == 3
    assert {versions.notifications_of_user(alice.pk), versions.account_of(alice.pk)} <= set(keys)


def test_home_reads_its_sessions_with_its_cards(client, alice, round_trips):
    client.force_login(alice)
    first = client.get(reverse("dashboard:home"))
    round_trips.clear()
    again = client.get(reverse("dashboard:home"))

    assert again.status_code == 200 and same_page(again.content, first.content)
    # The header (whose values say whether the person has a practice, which
    # Home's keys hold), then the cards and the sessions with their tokens.
    header, page = round_trips
    assert len(kept_keys(header)) == 2 and len(kept_keys(page)) == 2
    assert versions.bookings_of_user(alice.pk) in page


def test_browse_reads_the_members_balance_with_the_hubs_offers(client, member, offer, round_trips):
    from tengja.hubs.services import _kept_credits

    client.force_login(member.user)
    url = reverse("hubs:browse", args=[member.hub.code])
    first = client.get(url)
    round_trips.clear()
    again = client.get(url)

    assert again.status_code == 200 and same_page(again.content, first.content)
    assert "2 credits left" in again.content.decode()
    parts, _ = _kept_credits(member)
    # The offered professionals with the header, the footer and the balance; then
    # the list with their schedules' tokens, which the list is checked against.
    offered, page = round_trips
    assert versions.kept_key(*parts) in offered and len(kept_keys(offered)) == 4
    assert versions.schedule_of(offer.professional_id) in page and len(kept_keys(page)) == 1


def test_a_value_read_ahead_is_made_again_once_the_request_changed_it(client, alice):
    """What was read ahead is checked against the tokens when it is read: the
    notification this request makes moves the header's token, so the count is
    worked out afresh."""
    from tengja.dashboard.context_processors import _header_parts, header_depends_on
    from tengja.notifications.models import Notification

    def header(count: int) -> int:
        return versions.kept(
            *_header_parts(alice.pk),
            depends_on=header_depends_on(alice.pk),
            compute=lambda: count,
        )

    key = versions.kept_key(*_header_parts(alice.pk))
    with versions.request_scope(also=header_depends_on(alice.pk)):
        assert header(0) == 0  # kept
    with versions.request_scope(also=header_depends_on(alice.pk), ahead=lambda: [key]):
        versions.fragments_get(["fragment:anything"])  # reads the header's value ahead
        Notification.objects.create(user=alice, kind=Notification.Kind.UPCOMING)
        versions.bump(versions.notifications_of_user(alice.pk))
        assert header(1) == 1
    with versions.request_scope(also=header_depends_on(alice.pk), ahead=lambda: [key]):
        versions.fragments_get(["fragment:anything"])
        assert header(2) == 1  # kept since


def test_a_value_kept_late_under_an_old_token_is_not_taken_for_current(db):
    key = versions.kept_key("x")
    assert versions.kept("x", depends_on=["v:x"], compute=lambda: "old") == "old"
    old_stamp, _ = versions._lookup(key, ["v:x"])
    versions.bump("v:x")
    # A reader who read the old token before the change keeps what it rendered.
    versions.fragments_set({key: (old_stamp, "old")})
    assert versions.kept("x", depends_on=["v:x"], compute=lambda: "new") == "new"
    assert versions.kept("x", depends_on=["v:x"], compute=lambda: "newer") == "new"


def test_a_token_bumped_while_it_is_made_still_gives_a_fresh_value(db, monkeypatch):
    class Racing(CountingCache):
        def add(self, key, *args, **kwargs):
            added = cache.add(key, *args, **kwargs)
            cache.delete(key)  # another process bumps it before it is read back
            return added

    monkeypatch.setattr(versions, "cache", Racing())
    assert versions.current(["v:raced"])["v:raced"]
    assert versions.kept("y", depends_on=["v:raced"], compute=lambda: 1) == 1
    assert versions.kept("y", depends_on=["v:raced"], compute=lambda: 2) == 2  # never matched


def same_page(a: bytes, b: bytes) -> bool:
    """Equal but for the CSRF tokens, masked afresh for each response."""
    token = re.compile(rb"[A-Za-z0-9]{64}")
    return token.sub(b"", a) == token.sub(b"", b)
