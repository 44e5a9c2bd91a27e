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


class FragmentReads(CountingCache):
    """The cache, noting each round trip that reads kept fragments or values."""

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        if any(key.startswith(("fragment:", "kept:")) for key in keys):
            self.reads.append(keys)
        return cache.get_many(keys, *args, **kwargs)


@pytest.fixture
def fragment_reads(monkeypatch):
    counting = FragmentReads()
    monkeypatch.setattr(versions, "cache", counting)
    return counting.reads


@pytest.mark.parametrize("name", ["billing:payments", "dashboard:calendar", "notifications:list"])
def test_a_page_reads_the_header_and_footer_with_its_own_fragment(
    client, alice, fragment_reads, name
):
    client.force_login(alice)
    first = client.get(reverse(name))  # everything made and kept
    fragment_reads.clear()
    again = client.get(reverse(name))

    assert again.status_code == 200 and same_page(again.content, first.content)
    assert len(fragment_reads) == 1  # the page's fragment, the header's values, the chrome
    assert len(fragment_reads[0]) == 3


def test_browse_reads_the_members_balance_with_the_hubs_offers(
    client, member, offer, fragment_reads
):
    from tengja.hubs.services import _kept_credits

    client.force_login(member.user)
    url = reverse("hubs:browse", args=[member.hub.code])
    first = client.get(url)
    fragment_reads.clear()
    again = client.get(url)

    assert again.status_code == 200 and same_page(again.content, first.content)
    assert "2 credits left" in again.content.decode()
    parts, depends_on = _kept_credits(member)
    balance = versions.kept_key(*parts, depends_on=depends_on)
    # The offered professionals with the header, the footer and the balance; then
    # the list, whose key holds their schedules' tokens.
    assert len(fragment_reads) == 2
    assert balance in fragment_reads[0] and len(fragment_reads[0]) == 4


def test_a_header_read_ahead_is_not_served_once_the_request_changed_it(client, alice):
    """A key holds the tokens it was made of: the notification this request makes
    moves the header's token, so the count is read afresh, not from the read-ahead."""
    from tengja.dashboard.context_processors import _header_parts, header_depends_on
    from tengja.notifications.models import Notification

    def header_key() -> str:
        return versions.kept_key(*_header_parts(alice.pk), depends_on=header_depends_on(alice.pk))

    client.force_login(alice)
    client.get(reverse("billing:payments"))
    with versions.request_scope(
        also=[versions.notifications_of_user(alice.pk)], ahead=lambda: [header_key()]
    ):
        versions.fragments_get(["fragment:anything"])  # reads the header's value ahead
        Notification.objects.create(user=alice, kind=Notification.Kind.UPCOMING)
        versions.bump(versions.notifications_of_user(alice.pk))
        assert versions.fragments_get([header_key()]) == {}  # a new key: not kept yet


def same_page(a: bytes, b: bytes) -> bool:
    """Equal but for the CSRF tokens, masked afresh for each response."""
    token = re.compile(rb"[A-Za-z0-9]{64}")
    return token.sub(b"", a) == token.sub(b"", b)
