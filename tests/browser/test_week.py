"""A therapist's weeks, walked in the browser as the clock moves on (issue 28).

A series of six weekly sessions is sent and accepted; the first is moved; the
second is cancelled late and charged; the third is recorded as a no-show; the
fourth is marked done and charged now; a holiday blocks the fifth's week and its
free times vanish from the hub. The activities list shows all of it, and its CSV
reads back in Python's csv module with the right totals.

The server runs in this process, so moving the clock (time_machine) moves it for
the server too; each jump signs the people in again, as a week later they would.
"""

import csv
import io
import re
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.bookings.models import Booking
from tengja.hubs.models import HubProfessional
from tengja.professionals.models import WeeklyAvailability
from tests.billing.conftest import add_card
from tests.browser.conftest import sign_in
from tests.browser.test_accounts import wait_for_mail
from tests.factories import SessionTypeFactory

ZONE = ZoneInfo("Atlantic/Reykjavik")
PRICE = 18000


def test_a_therapists_weeks(browser, live, professional, alice, member, password):
    pro_user = professional.user
    professional.policy_en = "Cancelling less than 24 hours before costs the full price."
    professional.save()
    kind = SessionTypeFactory(professional=professional, name="Therapy", price_amount=PRICE)
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    HubProfessional.objects.create(
        hub=member.hub, professional=professional, session_type=kind, status="accepted"
    )
    add_card(alice)
    first = (timezone.localtime(timezone.now(), ZONE) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )

    with time_machine.travel(timezone.now(), tick=True) as clock:
        pro = browser.new_context(base_url=live.url, locale="en-GB").new_page()
        pro.set_default_timeout(10_000)
        sign_in(pro, pro_user.email, password)

        # A weekly series of six, its dates shown before it is sent.
        pro.goto("/practice/invite/")
        pro.get_by_label("Session type").select_option(label="Therapy")
        pro.get_by_label("Start").fill(first.strftime("%Y-%m-%dT%H:%M"))
        pro.get_by_label("Client's email").fill(alice.email)
        pro.get_by_label("Repeat", exact=True).select_option("weekly")
        pro.get_by_role("spinbutton", name="Number of sessions").fill("6")
        mail.outbox.clear()  # the employee's confirmation, from setting up
        pro.get_by_role("button", name="Send invitation").click()
        expect(pro.get_by_role("heading", name="6 sessions")).to_be_visible()
        pro.get_by_role("button", name="Send the invitation to 6 sessions").click()
        expect(pro.get_by_text("The invitation to 6 sessions is on its way")).to_be_visible()
        sessions = list(Booking.objects.filter(professional=professional).order_by("starts_at"))
        assert [s.starts_at for s in sessions] == [first + timedelta(weeks=k) for k in range(6)]
        assert len({s.series_id for s in sessions}) == 1
        assert all(invoice_standing(booking=s).status == Invoice.Status.OPEN for s in sessions)

        # One e-mail for the series; its link, opened by Alice, accepts all six.
        message = wait_for_mail()
        assert message.to == [alice.email]
        assert len(mail.outbox) == 1
        client = browser.new_context(base_url=live.url, locale="en-GB").new_page()
        client.set_default_timeout(10_000)
        sign_in(client, alice.email, password)
        client.goto(re.search(r"https?://[^/\s]+(/\S*invitations/\S+)", message.body).group(1))
        expect(client.get_by_role("heading", name="Therapy")).to_be_visible()
        assert all(s.client_is_known for s in Booking.objects.filter(pk__in=[*map(pk, sessions)]))

        # The first is moved an hour later, by the professional.
        s1, s2, s3, s4, s5, _ = sessions
        pro.goto(f"/sessions/{s1.code}/")
        pro.get_by_role("link", name="Move session").click()
        moved_to = first + timedelta(hours=1)
        pro.get_by_label("New start").fill(moved_to.strftime("%Y-%m-%dT%H:%M"))
        pro.get_by_role("button", name="Move session").click()
        expect(pro.get_by_role("heading", name="Therapy")).to_be_visible()
        s1.refresh_from_db()
        assert s1.starts_at == moved_to and s1.series_id == s2.series_id

        # A week on, three hours before the second: the client's cancellation is
        # late, and the professional charges for it under their policy, then
        # charges the card.
        clock.move_to(s2.starts_at - timedelta(hours=3))
        again(pro, pro_user.email, password)
        pro.goto(f"/sessions/{s2.code}/")
        pro.get_by_role("link", name="Cancel session").click()
        expect(pro.get_by_text(professional.policy_en)).to_be_visible()
        pro.get_by_label("Cancelled by the client").check()
        pro.get_by_label("Charge for the session").check()
        pro.get_by_role("button", name="Cancel session").click()
        expect(pro.locator(".page-head__state")).to_contain_text("Cancelled")
        pro.get_by_role("button", name="Charge now").click()
        expect(pro.get_by_text("The bill is paid.")).to_be_visible()
        assert invoice_standing(booking=s2).status == Invoice.Status.PAID

        # The third: twenty minutes in, the client has not come.
        clock.move_to(s3.starts_at + timedelta(minutes=20))
        again(pro, pro_user.email, password)
        pro.goto(f"/sessions/{s3.code}/")
        pro.get_by_role("link", name="Cancel session").click()
        pro.get_by_label("The client did not come").check()
        pro.get_by_label("Private note").fill("Phoned twice")
        pro.get_by_role("button", name="Cancel session").click()
        expect(pro.locator(".page-head__state")).to_contain_text("No-show")
        assert invoice_standing(booking=s3).status == Invoice.Status.VOID

        # The fourth is held: at its end, done and charged now.
        clock.move_to(s4.ends_at - timedelta(minutes=2))
        again(pro, pro_user.email, password)
        pro.goto(f"/sessions/{s4.code}/")
        pro.get_by_role("radio", name="Charge now").check()
        pro.get_by_role("button", name="Mark as done").click()
        expect(pro.get_by_text("The bill is paid.")).to_be_visible()
        expect(pro.locator(".page-head__state")).to_contain_text("Done")
        assert invoice_standing(booking=s4).status == Invoice.Status.PAID

        # A holiday over the fifth's week: its free times leave the hub.
        holiday = [
            timezone.localtime(s5.starts_at, ZONE).date() + timedelta(days=d) for d in (-2, 2)
        ]
        hub_page = f"/hubs/{member.hub.code}/professionals/{professional.code}/"
        employee = browser.new_context(base_url=live.url, locale="en-GB").new_page()
        employee.set_default_timeout(10_000)
        sign_in(employee, member.user.email, password)

        def free_on_holiday() -> int:
            employee.goto(hub_page)
            expect(employee.get_by_role("heading", name="Free times")).to_be_visible()
            days = [holiday[0] + timedelta(days=d) for d in range(5)]
            return sum(
                employee.locator(f'a.slot[href*="{day.isoformat()}T"]').count() for day in days
            )

        assert free_on_holiday() > 0
        pro.goto("/practice/availability/")
        time_off = pro.get_by_role("region", name="Time off")
        time_off.get_by_label("First day").fill(holiday[0].isoformat())
        time_off.get_by_label("Last day").fill(holiday[1].isoformat())
        time_off.get_by_label("Label").fill("Holiday")
        time_off.get_by_role("button", name="Add time off").click()
        listed = pro.get_by_role("region", name=re.compile("These sessions fall in the time off"))
        expect(listed.locator(f'a[href="/sessions/{s5.code}/"]')).to_be_visible()
        assert free_on_holiday() == 0

        # The activities: every session in its state; the CSV adds up.
        pro.goto("/practice/activities/")
        rows = pro.locator("main table.activities tbody tr")
        expect(rows).to_have_count(6)
        main = pro.locator("main")
        for label in ("Ended, not marked done", "Cancelled", "No-show", "Done", "Planned"):
            expect(main).to_contain_text(label)
        with pro.expect_download() as download:
            pro.get_by_role("link", name="Download as CSV").click()
        data = Path(download.value.path()).read_text(encoding="utf-8")
        assert data.startswith("\ufeff")
        table = list(csv.DictReader(io.StringIO(data.removeprefix("\ufeff"))))
        by_code = {row["Session"]: row for row in table}
        assert len(table) == 6
        assert [by_code[s.code]["State"] for s in sessions] == [
            "Ended, not marked done",
            "Cancelled",
            "No-show",
            "Done",
            "Planned",
            "Planned",
        ]
        paid = sum(Decimal(row["Bill amount"]) for row in table if row["Bill status"] == "Paid")
        open_ = sum(Decimal(row["Bill amount"]) for row in table if row["Bill status"] == "Open")
        assert (paid, open_) == (2 * PRICE, 3 * PRICE)


def again(page, email: str, password: str) -> None:
    """Signs in again if the session has expired meanwhile (the sign-in page sends
    someone signed in on to Home)."""
    page.goto("/accounts/login/")
    if page.locator("#id_username").count():
        sign_in(page, email, password)


def pk(booking: Booking) -> int:
    return booking.pk
