import os
import re
import threading
from datetime import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from tengja.hubs.models import HubDomain, HubProfessional, Membership
from tengja.hubs.services import membership_join, membership_verify
from tengja.professionals.models import WeeklyAvailability
from tests.factories import (
    PASSWORD,
    CompanyFactory,
    HubFactory,
    ProfessionalFactory,
    SessionTypeFactory,
    UserFactory,
)

# On SQLite the test database is a file under VAR_DIR (so a server thread shares
# it); a fresh clone has no var/ yet.
Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)

requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="needs PostgreSQL: set DATABASE_URL (CI does)",
)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Tasks run at once in tests (delivery still waits for the commit); one test
    # runs the real database worker (test_emails.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_EXPORT_ROOT = tmp_path / "exports"
    settings.MESSAGE_FILES_ROOT = tmp_path / "message-files"
    from django.utils.functional import empty

    from tengja.messaging.models import files_storage

    files_storage._wrapped = empty  # made afresh from this test's MESSAGE_FILES_ROOT
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.SITE_URL = "http://testserver"
    # Argon2 is the real hasher (see test_settings.py); MD5 keeps the suite fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run with DEBUG off, as production does; the local provider stands in
    # for Stripe's servers, so they opt in as a demo would (test_settings.py checks
    # that production without the opt-in refuses it).
    settings.DEMO_FAKE_PAYMENTS = True
    # Each test process its own cache in memory (the embedded default's is on disk,
    # shared by its processes); rate-limit counters live there: each test starts
    # with none.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    # A request through the test client leaves its language active in the thread
    # (Django deactivates nothing after a response): each test starts in the
    # default language, whatever the one before it asked for.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def password() -> str:
    return PASSWORD


# The personas, as in healthchecks' base test case.
@pytest.fixture
def alice(db):
    """A client."""
    return UserFactory(email="alice@example.com", name="Alice Andersen")


@pytest.fixture
def bob(db):
    """Another client, who must never see Alice's things."""
    return UserFactory(email="bob@example.com", name="Bob Bergsson")


@pytest.fixture
def professional(db):
    """Alice's professional."""
    return ProfessionalFactory(user__email="helga@example.com", user__name="Helga Sigurðardóttir")


@pytest.fixture
def other_professional(db):
    return ProfessionalFactory(user__email="other.pro@example.com", user__name="Olafur Pro")


# A company's Wellbeing Hub, its HR admin, an offered professional and a member.
@pytest.fixture
def hub(db):
    hub = HubFactory(company=CompanyFactory(name="Acme hf."), credits_per_period=2)
    HubDomain.objects.create(hub=hub, domain="acme.test")
    return hub


@pytest.fixture
def hr(hub):
    admin = UserFactory(email="hr@acme.test", name="Harpa HR")
    hub.company.admins.add(admin)
    return admin


@pytest.fixture
def offer(hub):
    pro = ProfessionalFactory(user__name="Dr. Sól", user__time_zone="Atlantic/Reykjavik")
    kind = SessionTypeFactory(
        professional=pro, name="Talk", duration_minutes=50, price_amount=15000
    )
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=pro, weekday=weekday, starts=time(9), ends=time(17)
        )
    return HubProfessional.objects.create(
        hub=hub, professional=pro, session_type=kind, status="accepted"
    )


@pytest.fixture
def member(hub, django_capture_on_commit_callbacks, mailoutbox):
    """An employee who joined and confirmed the work address."""
    user = UserFactory(email="emma@acme.test", name="Emma Employee")
    with django_capture_on_commit_callbacks(execute=True):
        membership_join(hub=hub, user=user, email=user.email)
    token = re.search(r"/hubs/verify/([^/\s]+)/", mailoutbox[-1].body).group(1)
    membership_verify(token=token, user=user)
    return Membership.objects.get(user=user)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def race(calls, expected=Exception) -> list:
    """Run the calls at the same moment, each in its own thread and database
    connection; return what each returned, or the expected error it raised."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except expected as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
