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
    return [reverse("dashboard:home"), reverse("hubs:browse", args=[member.hub.code])]


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "Atlantic/Reykjavik", "Unused credits expire on Saturday 1 March 2031, 00:00."),
        # Evening of the day before in New York: the viewer's own zone.
        ("en", "America/New_York", "Unused credits expire on Friday 28 February 2031, 19:00."),
        (
            "is",
            "Atlantic/Reykjavik",
            "Ónotaðar inneignir falla úr gildi: laugardagur 1. mars 2031, kl. 00:00.",
        ),
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


def test_no_expiry_is_shown_without_credits(client, period):
    CreditEntry.objects.create(membership=period, kind="spend", amount=-2)
    with time_machine.travel(datetime(2031, 2, 10, 12, tzinfo=UTC)):
        client.force_login(period.user)
        for url in pages(period):
            body = client.get(url).content.decode()
            assert "0 credits left" in body
            assert "expire on" not in body


def test_the_pages_show_the_new_periods_expiry(client, period, hub):
    """Once the renewal has run, both pages show the new end at once."""
    with time_machine.travel(ENDS - timedelta(days=1)):
        client.force_login(period.user)
        for url in pages(period):
            assert "expire on Saturday 1 March 2031" in client.get(url).content.decode()
    with time_machine.travel(ENDS + timedelta(minutes=1)):
        assert credits_renew_due() == 1
        new_end = CreditEntry.objects.filter(membership=period, kind="grant").latest("expires_at")
        expected = f"{new_end.expires_at:%B %Y}, 00:00."
        for url in pages(period):
            body = client.get(url).content.decode()
            assert "expire on Saturday 1 March 2031" not in body, url
            assert expected in body and "2 credits left" in body, url
