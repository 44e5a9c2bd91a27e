"""A professional sends a weekly series at phone width: the dates shown first, a
clash refused, then sent; the session page's series box; cancelling this and all
following. Every page axe-clean and no wider than the screen."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tengja.bookings.models import Booking, BookingSeries
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import BookingFactory, SessionTypeFactory


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_weekly_series_is_previewed_sent_and_cut_short(
    browser, live, professional, password, django_capture_on_commit_callbacks
):
    kind = SessionTypeFactory(professional=professional, name="Individual session")
    start = (timezone.localtime() + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    clash = BookingFactory(session_type=kind, starts_at=start + timedelta(weeks=2))
    context = browser.new_context(
        base_url=live.url,
        locale="en-GB",
        viewport={"width": 360, "height": 740},
        timezone_id="Atlantic/Reykjavik",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, professional.user.email, password)
    page.goto("/practice/invite/")
    page.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Client's email").fill("new@example.com")
    page.get_by_label("Repeat", exact=True).select_option("weekly")
    page.get_by_role("spinbutton", name="Number of sessions").fill("4")
    # A repeating invitation is never sent by the first press: its dates come first.
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("These dates overlap other sessions of yours")).to_be_visible()
    expect(page.get_by_text("overlaps another session")).to_have_count(1)
    assert axe_violations(page) == []
    assert fits(page)
    assert not BookingSeries.objects.exists()

    clash.delete()
    page.get_by_role("button", name="Show the dates").click()
    expect(page.get_by_role("heading", name="4 sessions")).to_be_visible()
    assert axe_violations(page) == []
    with django_capture_on_commit_callbacks(execute=True):
        page.get_by_role("button", name="Send the invitation to 4 sessions").click()
        expect(page.get_by_text("The invitation to 4 sessions is on its way")).to_be_visible()
    expect(page.get_by_role("heading", name="Session 1 of 4 · weekly")).to_be_visible()
    assert axe_violations(page) == []
    assert fits(page)

    page.get_by_role("link", name="Next session").click()
    expect(page.get_by_role("heading", name="Session 2 of 4 · weekly")).to_be_visible()
    page.get_by_role("link", name="Cancel this and all following").click()
    expect(page.get_by_role("heading", name="These sessions are cancelled")).to_be_visible()
    assert axe_violations(page) == []
    assert fits(page)
    with django_capture_on_commit_callbacks(execute=True):
        page.get_by_role("button", name="Cancel these sessions").click()
        expect(page.get_by_text("3 sessions have been cancelled.")).to_be_visible()
    series = BookingSeries.objects.get()
    assert list(series.bookings.order_by("starts_at").values_list("status", flat=True)) == [
        Booking.Status.CONFIRMED,
        *[Booking.Status.CANCELLED] * 3,
    ]
    page.get_by_role("link", name="Previous session").click()
    expect(page.get_by_role("heading", name="Session 1 of 4 · weekly")).to_be_visible()
    # None still on after it: only "this one" to change.
    expect(page.get_by_role("link", name="Move this and all following")).to_have_count(0)
    page.goto(page.url + "series/move/")
    expect(page.get_by_label("New start of this session")).to_be_visible()
    assert axe_violations(page) == []
    assert fits(page)
    context.close()
