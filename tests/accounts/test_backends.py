"""The signed-in user is found by a query compiled once (tengja.accounts.backends)."""

from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.backends import USER_BACKEND, UserBackend, user_by_pk
from tengja.accounts.models import User


def fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_user_is_read_as_the_orm_reads_it(alice):
    # Every kind of column set: dates (text on SQLite), a picture, flags.
    alice.last_login = timezone.now() - timedelta(days=1)
    alice.picture = "pictures/alice.jpg"
    alice.is_staff = True
    alice.save()

    found = user_by_pk(alice.pk)

    assert fields(found) == fields(User.objects.get(pk=alice.pk))
    assert timezone.is_aware(found.last_login) and found.picture.name == "pictures/alice.jpg"
    assert found._state.adding is False and found._state.db == "default"  # saved as an update
    found.name = "Alice A."
    found.save(update_fields=["name"])
    assert User.objects.get(pk=alice.pk).name == "Alice A."


def test_no_such_user_or_a_deactivated_one_is_signed_out(alice, bob):
    assert user_by_pk(10**9) is None
    bob.is_active = False
    bob.save()
    assert UserBackend().get_user(bob.pk) is None
    assert UserBackend().get_user(alice.pk) == alice


def test_signing_in_stores_the_backend_and_each_request_reads_the_user_once(
    client, alice, password
):
    client.post(reverse("accounts:login"), {"username": alice.email, "password": password})
    assert client.session[BACKEND_SESSION_KEY] == USER_BACKEND
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("health")).status_code == 200
    users = [q for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(users) == 1
    # Deactivated meanwhile: the next request is signed out.
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get(reverse("dashboard:calendar")).status_code == 302
