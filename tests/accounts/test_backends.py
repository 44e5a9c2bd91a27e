"""The signed-in user is found by Django's ModelBackend (tengja.accounts.backends)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tengja.accounts.backends import USER_BACKEND, UserBackend
from tengja.accounts.models import User


def test_the_backend_is_djangos_own():
    # Nothing of Django's is replaced: only the name sessions record is ours.
    assert UserBackend.__mro__[1] is ModelBackend
    assert set(vars(UserBackend)) <= {"__module__", "__doc__", "__qualname__"} | {
        "__firstlineno__",
        "__static_attributes__",
    }


def test_no_such_user_or_a_deactivated_one_is_signed_out(alice, bob):
    assert UserBackend().get_user(10**9) is None
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
