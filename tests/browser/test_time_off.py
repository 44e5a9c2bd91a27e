"""A professional takes a day off with a session already booked in it, on a
phone, in Icelandic: the session is listed with its link, the week shows the
time off beside the sessions, and both pages pass axe-core."""

from datetime import time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.professionals.models import AvailabilityException, WeeklyAvailability
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory


def test_a_day_off_over_a_booked_session_on_a_phone(phone, professional, alice, password):
    user = professional.user
    user.language, user.time_zone = "is", "Atlantic/Reykjavik"
    user.save()
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    day = timezone.localdate() + timedelta(days=8)
    kind = SessionTypeFactory(professional=professional, name="Viðtal")
    starts = timezone.make_aware(timezone.datetime.combine(day, time(10)))
    booked = BookingFactory(session_type=kind, client=alice, starts_at=starts)

    sign_in(phone, user.email, password)
    phone.goto("/practice/availability/")
    time_off = phone.get_by_role("region", name="Frí")
    time_off.get_by_label("Fyrsti dagur").fill(day.isoformat())
    time_off.get_by_label("Merking").fill("Ráðstefna")
    time_off.get_by_role("button", name="Bæta við fríi").click()

    listed = phone.get_by_role("region", name="Þessir tímar lenda í fríinu:")
    link = listed.get_by_role("link", name="Alice Andersen", exact=False)
    expect(link).to_have_attribute("href", f"/sessions/{booked.code}/")
    expect(phone.locator("#time-off")).to_contain_text("Ráðstefna")
    assert AvailabilityException.objects.get().label == "Ráðstefna"
    assert axe_violations(phone) == []

    phone.goto(f"/practice/week/?day={day.isoformat()}")
    rows = phone.locator(".pro-day > li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Allan daginn")
    expect(rows.nth(0)).to_contain_text("Ráðstefna")
    expect(rows.nth(1)).to_contain_text("Viðtal")
    assert axe_violations(phone) == []
