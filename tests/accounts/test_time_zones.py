"""The time zone picker: common zones by their canonical names, grouped by region
with their offsets now, in both languages; the browser's zone chosen on sign-up."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from tengja.accounts.zones import canonical_zone, time_zone_choices, zone_search

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
        offsets = [
            re.search(r"\(UTC([+-]\d\d):(\d\d)\)$", text).groups() for _name, text in members
        ]
        minutes = [int(h) * 60 + (int(m) if h[0] == "+" else -int(m)) for h, m in offsets]
        assert minutes == sorted(minutes)
    assert zones["Atlantic/Reykjavik"] == "Reykjavik, Iceland (UTC+00:00)"
    assert zones["America/Indiana/Knox"] == "Knox, Indiana, United States (UTC-05:00)"


def test_the_offset_is_todays():
    with translation.override("en"):
        assert flat(time_zone_choices(now=JULY))["Europe/Berlin"].endswith("(UTC+02:00)")
        assert flat(time_zone_choices(now=JANUARY))["Europe/Berlin"].endswith("(UTC+01:00)")


def test_countries_and_regions_in_icelandic():
    with translation.override("is"):
        groups = time_zone_choices(now=JULY)
    assert flat(groups)["Europe/Berlin"] == "Berlin, Þýskaland (UTC+02:00)"
    assert flat(groups)["Atlantic/Reykjavik"] == "Reykjavik, Ísland (UTC+00:00)"
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


def test_the_place_comes_first_so_typing_on_the_select_finds_it(client, alice):
    """Without the script, a browser goes to the first option that starts with
    what is typed on the select: the labels start with the place."""
    with translation.override("en"):
        zones = flat(time_zone_choices(now=JULY))
    assert zones["America/New_York"] == "New York, United States (UTC-04:00)"
    assert zones["UTC"] == "UTC (UTC+00:00)"
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r'value="Asia/Tokyo"[^>]*>\s*Tokyo, Japan \(UTC', body)


@pytest.mark.parametrize(
    ("query", "chosen"),
    [
        ("eastern", "America/New_York"),
        ("Eastern", "America/New_York"),
        ("EST", "America/New_York"),
        ("eastern time", "America/New_York"),
        ("US Eastern", "America/New_York"),
        ("pacific time", "America/Los_Angeles"),
        ("central", "America/Chicago"),
        ("GMT", "Europe/London"),
        ("UTC", "UTC"),
        ("CET", "Europe/Berlin"),
        ("central european", "Europe/Berlin"),
        ("EET", "Europe/Helsinki"),
        ("Iceland", "Atlantic/Reykjavik"),
        ("reykjavík", "Atlantic/Reykjavik"),
        ("tokyo", "Asia/Tokyo"),
        ("IST", "Asia/Kolkata"),
        ("india", "Asia/Kolkata"),
    ],
)
def test_zones_are_found_by_the_names_people_use(query, chosen):
    with translation.override("en"):
        matches, best = zone_search(query, now=JANUARY)
    assert best == chosen
    assert chosen in matches


def test_names_people_use_find_every_zone_that_has_them():
    with translation.override("en"):
        gmt, _best = zone_search("gmt", now=JANUARY)
        cet, _best = zone_search("cet", now=JANUARY)
        ist, _best = zone_search("ist", now=JANUARY)
    assert {"Europe/London", "UTC", "Atlantic/Reykjavik", "Europe/Dublin"} <= set(gmt)
    assert {"Europe/Berlin", "Europe/Paris", "Europe/Oslo"} <= set(cet)
    assert "America/New_York" not in cet
    assert {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"} <= set(ist)


def test_english_names_are_found_in_icelandic_too():
    with translation.override("is"):
        for query in ("Iceland", "ísland", "island", "GMT"):
            matches, _best = zone_search(query, now=JANUARY)
            assert "Atlantic/Reykjavik" in matches, query
        matches, best = zone_search("eastern", now=JANUARY)
        assert best == "America/New_York"
        matches, best = zone_search("þýskaland", now=JANUARY)
        assert best == "Europe/Berlin"


def test_a_search_that_finds_nothing_chooses_nothing():
    """("eastern" once found nothing, after "easter" had chosen Easter Island.)"""
    with translation.override("en"):
        assert zone_search("zzzz", now=JANUARY) == ([], None)
        assert zone_search("   ", now=JANUARY) == ([], None)
        matches, best = zone_search("easter", now=JANUARY)
    assert best == "Pacific/Easter"
    assert "America/New_York" in matches  # "Eastern Time" starts with it too


def test_the_profile_page_carries_the_names_for_the_search(client, alice):
    client.force_login(alice)
    body = client.get(reverse("accounts:profile")).content.decode()
    new_york = re.search(r'<option value="America/New_York"[^>]*>', body).group(0)
    assert 'data-names="Eastern Time ET EST EDT US Eastern"' in new_york
    assert "data-best=" in new_york and "|est|" in new_york


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("EST", ["America/New_York", "America/Toronto"]),
        ("gmt", ["Atlantic/Reykjavik", "Europe/Dublin", "Europe/London", "UTC"]),
        ("easter", ["Pacific/Easter", "America/New_York", "America/Toronto"]),
        ("eastern", ["America/New_York", "America/Toronto", "Europe/Athens"]),
    ],
)
def test_a_name_people_use_lists_its_zones_first(query, first):
    """ "EST" found 36 zones by their letters anywhere, El Aaiun (Western Sahara),
    Lagos (West Africa), Creston and Gaza first (issue #26): the zones a name is
    of come first, then those whose place or name starts with it."""
    with translation.override("en"):
        matches, _best = zone_search(query, now=JANUARY)
    assert matches[: len(first)] == first


def test_a_short_word_is_found_only_where_a_word_starts():
    with translation.override("en"):
        assert zone_search("EST", now=JANUARY) == (
            ["America/New_York", "America/Toronto", "Europe/Tallinn"],  # Estonia
            "America/New_York",
        )
        cet, best = zone_search("cet", now=JANUARY)
        assert best == "Europe/Berlin" and len(cet) == 15
        assert all(zone.startswith("Europe/") for zone in cet)
        # Four letters or more: anywhere, as before.
        assert {"Africa/Lagos", "Africa/El_Aaiun"} <= set(zone_search("west", now=JANUARY)[0])
    with translation.override("is"):
        ist, best = zone_search("ist", now=JANUARY)
        assert best == "Asia/Kolkata"
        assert set(ist[:3]) == {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"}


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_zone_picker_writes_what_select_templates_would(language):
    """ZoneSelect writes its 400-odd options itself (a template each cost ~25 ms a
    form): the same options, attributes and escaping as Django's select templates."""
    from tengja.accounts.forms import TimeZoneField

    def normal(html: str) -> str:
        return re.sub(r">\s+<", "><", html).strip()

    with translation.override(language):
        field = TimeZoneField()
        field.show("US/Eastern")  # an alias on a profile, offered as it is
        widget = field.widget
        written = widget.render("time_zone", "America/New_York", {"id": "id_time_zone"})
        widget.template_name = "django/forms/widgets/select.html"
        templated = widget.render("time_zone", "America/New_York", {"id": "id_time_zone"})
    assert normal(written) == normal(templated)
    assert 'value="America/New_York" selected data-names=' in written
    assert "&amp;" in written and 'translate="no"' in written
