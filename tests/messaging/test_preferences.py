"""Turning the unread message e-mail off and on, from the e-mail settings page."""

from django.urls import reverse

from tengja.messaging.models import MessagePreferences
from tengja.messaging.preferences import email_unread_set, email_unread_wanted


def test_on_by_default_without_a_row(alice):
    assert email_unread_wanted(user=alice)
    assert not MessagePreferences.objects.exists()


def test_the_service_turns_it_off_and_on_for_that_person_only(alice, bob):
    email_unread_set(user=alice, email_unread=False)
    assert not email_unread_wanted(user=alice)
    assert email_unread_wanted(user=bob)
    email_unread_set(user=alice, email_unread=True)
    assert email_unread_wanted(user=alice)
    assert MessagePreferences.objects.filter(user=alice).count() == 1


def test_the_settings_page_shows_and_saves_it(client, alice):
    client.force_login(alice)
    url = reverse("notifications:settings")
    page = client.get(url).content.decode()
    assert (
        'id="email_unread" name="email_unread" aria-describedby="email_unread-help" checked' in page
    )
    assert '<label for="email_unread">E-mail me when a message waits unread</label>' in page
    # The form sends both boxes: unticked means off.
    response = client.post(url, {"email_reminders": "on"})
    assert response.status_code == 302
    assert not email_unread_wanted(user=alice)
    page = client.get(url).content.decode()
    assert 'aria-describedby="email_unread-help">' in page  # not ticked
    client.post(url, {"email_reminders": "on", "email_unread": "on"})
    assert email_unread_wanted(user=alice)


def test_the_settings_page_in_icelandic(client, alice):
    alice.language = "is"
    alice.save()
    client.force_login(alice)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "Sendu mér tölvupóst þegar skilaboð bíða ólesin" in page


def test_the_settings_page_asks_one_more_query_with_or_without_a_row(
    client, alice, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("notifications:settings")
    with django_assert_max_num_queries(9):
        client.get(url)
    email_unread_set(user=alice, email_unread=False)
    with django_assert_max_num_queries(9):
        client.get(url)
