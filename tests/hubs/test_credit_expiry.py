"""A member sees when their credits expire, on Home and on the hub's page, in their
own time zone and language; both pages follow a new period at once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tengja.hubs.models import CreditEntry
from tengja.hubs.services import credits_renew_due

ENDS = datetime(2031, 3, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def period(member):
    """The member's credits expire at midnight UTC on 1 March 2031."""
    CreditEntry.objects.filter(membership=member, kind="grant").update(expires_at=ENDS)
    return member


def pages(member) -> list[str]:
    """Home, the hub's own page (issue #26: it showed neither) and its professionals."""
    return [
        reverse("dashboard:home"),
        reverse("hubs:hub", args=[member.hub.code]),
        reverse("hubs:browse", args=[member.hub.code]),
    ]


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        # A date, without the minute (issue #26). At midnight in Reykjavik, the last
        # day to use them is the day before.
        (
            "en",
            "Atlantic/Reykjavik",
            "Unused credits expire at the end of Friday 28 February 2031.",
        ),
        # Evening of the day before in New York: the viewer's own zone.
        ("en", "America/New_York", "Unused credits expire on Friday 28 February 2031."),
        # Past midnight in Tokyo: the day after, in Tokyo.
        ("en", "Asia/Tokyo", "Unused credits expire on Saturday 1 March 2031."),
        (
            "is",
            "Atlantic/Reykjavik",
            "Ónotaðar inneignir gilda til og með: föstudagur 28. febrúar 2031.",
        ),
        ("is", "Asia/Tokyo", "Ónotaðar inneignir falla úr gildi: laugardagur 1. mars 2031."),
    ],
)
def test_home_and_the_hub_page_say_when_credits_expire(client, period, language, zone, expected):
    user = period.user
    user.language, user.time_zone = language, zone
    user.save()
    with time_machine.travel(datetime(2031, 2, 10, 12, tzinfo=UTC)):
        client.force_login(user)
        for url in pages(period):
            body = client.get(url).content.decode()
            assert expected in body, url
            assert "00:00" not in body and "09:00" not in body, url
            assert ("2 credits left" if language == "en" else "2 inneignir eftir") in body, url


def test_no_expiry_is_shown_without_credits(client, period):
    CreditEntry.objects.create(membership=period, kind="spend", amount=-2)
    with time_machine.travel(datetime(2031, 2, 10, 12, tzinfo=UTC)):
        client.force_login(period.user)
        for url in pages(period):
            body = client.get(url).content.decode()
            assert "0 credits left" in body
            assert "expire" not in body


def test_the_pages_show_the_new_periods_expiry(client, period, hub):
    """Once the renewal has run, both pages show the new end at once."""
    with time_machine.travel(ENDS - timedelta(days=1)):
        client.force_login(period.user)
        for url in pages(period):
            assert "at the end of Friday 28 February 2031" in client.get(url).content.decode()
    with time_machine.travel(ENDS + timedelta(minutes=1)):
        assert credits_renew_due() == 1
        new_end = CreditEntry.objects.filter(membership=period, kind="grant").latest("expires_at")
        last = new_end.expires_at - timedelta(days=1)
        expected = f"at the end of {last:%A} {last.day} {last:%B %Y}."
        for url in pages(period):
            body = client.get(url).content.decode()
            assert "Friday 28 February 2031" not in body, url
            assert expected in body and "2 credits left" in body, url
