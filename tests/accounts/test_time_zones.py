"""The time zone picker: common zones by their canonical names, grouped by region
with their offsets now, in both languages; the browser's zone chosen on sign-up."""

import re
from datetime import UTC, datetime

from django.urls import reverse
from django.utils import translation

from tengja.accounts.zones import canonical_zone, time_zone_choices

JULY = datetime(2026, 7, 1, 12, tzinfo=UTC)
JANUARY = datetime(2026, 1, 15, 12, tzinfo=UTC)


def flat(groups) -> dict[str, str]:
    return {name: label for _group, zones in groups for name, label in zones}


def test_only_canonical_zones_grouped_by_region_and_sorted_by_offset():
    with translation.override("en"):
        groups = time_zone_choices(now=JULY)
    zones = flat(groups)
    assert 400 < len(zones) < 450
    for alias in ("Africa/Asmera", "US/Eastern", "Etc/GMT+5", "Asia/Calcutta", "Europe/Kiev"):
        assert alias not in zones
    assert {"Africa/Asmara", "America/New_York", "Asia/Kolkata", "Europe/Kyiv", "UTC"} <= set(zones)
    labels = [label for label, _zones in groups]
    assert labels[:2] == ["Africa", "Americas"] and labels[-1] == "Other"
    for _label, members in groups:
        offsets = [re.match(r"\(UTC([+-]\d\d):(\d\d)\)", text).groups() for _name, text in members]
        minutes = [int(h) * 60 + (int(m) if h[0] == "+" else -int(m)) for h, m in offsets]
        assert minutes == sorted(minutes)
    assert zones["Atlantic/Reykjavik"] == "(UTC+00:00) Reykjavik, Iceland"
    assert zones["America/Indiana/Knox"] == "(UTC-05:00) Knox, Indiana, United States"


def test_the_offset_is_todays():
    with translation.override("en"):
        assert flat(time_zone_choices(now=JULY))["Europe/Berlin"].startswith("(UTC+02:00)")
        assert flat(time_zone_choices(now=JANUARY))["Europe/Berlin"].startswith("(UTC+01:00)")


def test_countries_and_regions_in_icelandic():
    with translation.override("is"):
        groups = time_zone_choices(now=JULY)
    assert flat(groups)["Europe/Berlin"] == "(UTC+02:00) Berlin, Þýskaland"
    assert flat(groups)["Atlantic/Reykjavik"] == "(UTC+00:00) Reykjavik, Ísland"
    assert [label for label, _zones in groups][:2] == ["Afríka", "Ameríka"]


def test_aliases_map_to_the_listed_name():
    assert canonical_zone("Asia/Calcutta") == "Asia/Kolkata"
    assert canonical_zone("US/Eastern") == "America/New_York"
    assert canonical_zone("Europe/Amsterdam") == "Europe/Amsterdam"  # listed, though linked
    assert canonical_zone("Etc/GMT+5") == "Etc/GMT+5"  # nothing to map it to


def test_the_profile_offers_grouped_zones_and_saves_an_alias_as_its_canonical_name(client, alice):
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert '<optgroup label="Europe">' in body
    assert 'value="Atlantic/Reykjavik" selected' in body
    assert "data-zone-picker" in body and "js/zones.js" in body
    client.post(
        reverse("accounts:profile"),
        {"name": alice.name, "language": "en", "time_zone": "Asia/Calcutta"},
    )
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Kolkata"


def test_an_old_alias_on_a_profile_is_shown_and_kept(client, alice):
    alice.time_zone = "Africa/Asmera"
    alice.save()
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert 'value="Africa/Asmera" selected' in body


def test_the_profile_page_in_icelandic(client, alice):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert '<optgroup label="Evrópa">' in body
    assert "Þýskaland" in body
    assert "Leitaðu að borginni þinni eða landinu" in body


def test_sign_up_preselects_the_browsers_zone_and_shows_it(client, db):
    client.cookies["tengja_tz"] = "Asia/Calcutta"
    body = client.get(reverse("accounts:signup")).content.decode()
    assert 'value="Asia/Kolkata" selected' in body
    assert "data-detect" not in body


def test_a_first_visit_lets_the_script_pick_the_zone(client, db):
    body = client.get(reverse("accounts:signup")).content.decode()
    assert "data-detect" in body
    assert 'value="Atlantic/Reykjavik" selected' in body  # the site's default until then


def test_sign_up_takes_the_zone_chosen(client, db):
    client.cookies["tengja_tz"] = "Europe/Oslo"
    client.post(
        reverse("accounts:signup"),
        {
            "name": "Ása",
            "email": "asa@example.com",
            "password": "a long enough passphrase",
            "time_zone": "America/Chicago",
            "accept_terms": "on",
        },
    )
    from tengja.accounts.models import User

    assert User.objects.get(email="asa@example.com").time_zone == "America/Chicago"


def test_a_zone_nobody_knows_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:profile"), {"name": "A", "language": "en", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
