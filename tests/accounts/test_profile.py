import zoneinfo
from datetime import UTC, datetime

import time_machine
from django.urls import reverse

from tengja.accounts.models import User

URL = reverse("accounts:profile")


def test_profile_shows_every_section(client, alice):
    client.force_login(alice)
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("My Profile", "Picture", "Your details", "Email", "Password", alice.email):
        assert text in body


def test_name_menu_links_to_profile(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert 'class="user-menu"' in body
    assert f'href="{URL}"' in body
    assert "Sign out" in body


def test_update_name_language_and_time_zone(client, alice):
    client.force_login(alice)
    response = client.post(
        URL, {"name": "  Alice  B. ", "language": "is", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.name, alice.language, alice.time_zone) == ("Alice B.", "is", "Europe/Berlin")
    # The very next page is in Icelandic.
    body = client.get(URL).content.decode()
    assert "Prófíllinn minn" in body
    assert 'lang="is"' in body


def test_unknown_time_zone_or_language_is_refused_and_changes_nothing(client, alice):
    client.force_login(alice)
    for data in (
        {"name": "New", "language": "en", "time_zone": "Mars/Olympus_Mons"},
        {"name": "New", "language": "xx", "time_zone": "UTC"},
        {"name": "", "language": "en", "time_zone": "UTC"},
    ):
        response = client.post(URL, data)
        assert response.status_code == 400
        assert (
            "Select a valid choice" in response.content.decode()
            or "required" in response.content.decode()
        )
    alice.refresh_from_db()
    assert (alice.name, alice.language, alice.time_zone) == (
        "Alice Andersen",
        "en",
        "Atlantic/Reykjavik",
    )


def test_a_failed_save_does_not_show_a_half_changed_name(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"name": "Changed", "language": "en", "time_zone": "Nowhere"})
    header_name = response.content.decode().split('class="user-menu__name">')[1].split("<")[0]
    assert header_name == "Alice Andersen"


def test_times_are_shown_in_the_profiles_time_zone(client, alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    client.force_login(alice)
    with time_machine.travel(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), tick=False):
        body = client.get(URL).content.decode()
    assert "Thursday 15 January 2026, 21:00" in body  # 12:00 UTC is 21:00 in Tokyo


def test_language_switcher_remembers_choice_in_profile(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:set_language"), {"language": "is", "next": URL})
    assert response["Location"] == URL
    assert User.objects.get(pk=alice.pk).language == "is"


def test_language_switcher_for_visitors_uses_a_cookie(client, db):
    client.post(reverse("accounts:set_language"), {"language": "is", "next": "/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert "Skrá inn" in body


def test_visitor_language_follows_the_browser(client, db):
    body = client.get(
        reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="is,en;q=0.5"
    ).content.decode()
    assert 'lang="is"' in body
    body = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'lang="en"' in body


def test_visitor_time_zone_follows_the_browser_cookie(client, db):
    from django.test import RequestFactory

    from tengja.accounts.middleware import request_time_zone

    request = RequestFactory().get("/")
    request.COOKIES["tengja_tz"] = "Pacific/Auckland"
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    assert request_time_zone(request) == "Pacific/Auckland"
    assert zoneinfo.ZoneInfo(request_time_zone(request))


def test_password_change_needs_the_current_one(client, alice, password):
    client.force_login(alice)
    url = reverse("accounts:password_change")
    new = {"new_password1": "fresh passphrase 2026", "new_password2": "fresh passphrase 2026"}
    response = client.post(url, {"old_password": "wrong", **new})
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(password)

    response = client.post(url, {"old_password": password, **new})
    assert response["Location"] == reverse("accounts:password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("fresh passphrase 2026")
    # Still signed in after the change.
    assert client.get(URL).status_code == 200


def test_the_saved_message_speaks_the_new_language(client, alice):
    """Switching the language in the profile: its "saved" message is in the new one."""
    client.force_login(alice)
    data = {"name": alice.name, "time_zone": alice.time_zone}
    body = client.post(URL, {**data, "language": "is"}, follow=True).content.decode()
    assert "Prófíllinn þinn hefur verið vistaður." in body
    assert "Your profile has been saved." not in body
    body = client.post(URL, {**data, "language": "en"}, follow=True).content.decode()
    assert "Your profile has been saved." in body
    assert "Prófíllinn þinn hefur verið vistaður." not in body
