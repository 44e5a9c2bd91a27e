"""The periodic jobs command: each job once per run, and one failing job does not
stop the others."""

from datetime import timedelta
from io import StringIO

import time_machine
from django.core.management import call_command

from tengja.hubs.models import CreditEntry


def test_one_run_renews_credits_that_are_due(member):
    grant = CreditEntry.objects.get(membership=member, kind="grant")
    out = StringIO()
    with time_machine.travel(grant.expires_at + timedelta(seconds=1)):
        call_command("periodic", stdout=out)
    assert "credits_renew_due: 1" in out.getvalue()
    assert CreditEntry.objects.filter(membership=member, kind="grant").count() == 2


def test_the_jobs_are_real_functions_so_renames_and_usages_see_them():
    from tengja.billing import services as billing
    from tengja.bookings import page as booking_page
    from tengja.bookings import requests
    from tengja.hubs import services as hubs
    from tengja.intake import details
    from tengja.messaging import notify as messaging
    from tengja.notifications import services as notifications
    from tengja.privacy import services as privacy
    from tengja.wiring.management.commands import periodic

    jobs = (
        notifications.deliveries_sweep,
        billing.refunds_sweep,
        hubs.credits_renew_due,
        requests.requests_expire_due,
        privacy.data_exports_sweep,
        booking_page.page_signups_sweep,
        details.details_remind_due,
        messaging.messages_email_due,
    )
    assert jobs == periodic.JOBS


def test_a_failing_job_does_not_stop_the_others(member, monkeypatch, caplog):
    from tengja.notifications import services as notifications
    from tengja.wiring.management.commands import periodic

    def broken(**kwargs):
        raise RuntimeError("the database went away for a moment")

    broken.__module__, broken.__qualname__ = notifications.__name__, "deliveries_sweep"
    jobs = tuple(broken if job is notifications.deliveries_sweep else job for job in periodic.JOBS)
    monkeypatch.setattr(periodic, "JOBS", jobs)
    grant = CreditEntry.objects.get(membership=member, kind="grant")
    out = StringIO()
    with time_machine.travel(grant.expires_at + timedelta(seconds=1)):
        call_command("periodic", stdout=out)
    assert "periodic job tengja.notifications.services.deliveries_sweep failed" in caplog.text
    assert "credits_renew_due: 1" in out.getvalue()
