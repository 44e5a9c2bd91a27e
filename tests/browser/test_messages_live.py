"""The header's unread messages count follows without a reload (ws/live/,
static/js/live.js): a client on a phone in Icelandic, and her professional."""

import asyncio
import re

import pytest
from playwright.sync_api import expect

from tengja.bookings.models import Booking
from tengja.lib import realtime
from tengja.messaging.live import unread_push
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, ProfessionalFactory, UserFactory
from tests.messaging.helpers import conversation_of, read, say

Role = Booking.Role


@pytest.fixture(autouse=True)
def _pushes_on_the_servers_loop(live, monkeypatch):
    """The in-memory channel layer lives on the server thread's event loop: the
    test thread's pushes (unread_push, as a send would make) are run there."""

    def on_server_loop(function):
        def run(*args, **kwargs):
            loop = live.server.servers[0].get_loop()
            return asyncio.run_coroutine_threadsafe(function(*args, **kwargs), loop).result(10)

        return run

    monkeypatch.setattr(realtime, "async_to_sync", on_server_loop)


def test_a_new_message_shows_in_the_header_at_once(browser, live, phone, page):
    alice = UserFactory(name="Alice", language="is", time_zone="Atlantic/Reykjavik")
    pro = ProfessionalFactory(user__name="Helga", user__time_zone="America/New_York")
    talk = conversation_of(professional=pro, client=alice)

    sign_in(phone, alice.email, PASSWORD)
    phone.goto("/")
    sign_in(page, pro.user.email, PASSWORD)
    page.goto("/")
    alices = phone.locator("a.inbox")
    helgas = page.locator("a.inbox")
    expect(alices).to_have_accessible_name(re.compile(r"^Skilaboð$"))
    expect(alices.locator("[data-live-count]")).to_be_hidden()
    # Both pages' sockets are open (each hears the count when it opens).
    for each in (phone, page):
        each.wait_for_function("() => document.documentElement.dataset.live === 'open'")

    # (Chrome puts a space between the hidden pieces of the name: ", 1 ólesin" all the same.)
    # Helga writes (the send service's marks, and its push to Alice).
    say(talk, Role.PROFESSIONAL, "Hæ Alice")
    unread_push(user=alice, conversation=talk)
    expect(alices.locator("[data-live-count]")).to_have_text("1")
    expect(alices.locator("[data-live-count]")).to_be_visible()
    expect(alices).to_have_accessible_name(re.compile(r"^Skilaboð\s*, 1 ólesin$"))
    expect(phone.locator("#live-status")).to_have_text("Ný skilaboð")
    expect(helgas.locator("[data-live-count]")).to_be_hidden()  # not hers to read

    # At 360 px the header still fits: the envelope beside the bell, on the first line.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    brand = phone.locator(".brand").bounding_box()
    box = alices.bounding_box()
    assert abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 12
    assert box["x"] + box["width"] <= 360
    assert axe_violations(phone) == []

    # Alice answers: Helga's count rises, in English; Alice's read mark clears hers.
    say(talk, Role.CLIENT, "Takk")
    unread_push(user=pro.user, conversation=talk)
    unread_push(user=alice, conversation=talk)
    expect(helgas).to_have_accessible_name(re.compile(r"^Messages\s*, 1 unread$"))
    expect(page.locator("#live-status")).to_have_text("New message")
    expect(alices.locator("[data-live-count]")).to_be_hidden()
    expect(alices).to_have_accessible_name(re.compile(r"^Skilaboð$"))
    assert axe_violations(page) == []

    # Reading elsewhere (another tab) clears it here too, and says nothing new.
    read(talk, Role.PROFESSIONAL)
    unread_push(user=pro.user, conversation=talk)
    expect(helgas).to_have_accessible_name(re.compile(r"^Messages$"))
    expect(page.locator("#live-status")).to_have_text("New message")
    # A reload shows the same as the live count.
    page.reload()
    expect(helgas.locator("[data-live-count]")).to_be_hidden()
    expect(helgas).to_have_accessible_name(re.compile(r"^Messages$"))


def test_an_open_conversation_shows_a_new_message_without_a_reload(page, settings):
    """The conversation page open: a new message joins the list in place (its
    fetch reads it), the reply being written stays, and nothing loops."""
    settings.MESSAGE_LIMIT_PER_SENDER = "100/10m"
    alice = UserFactory(name="Alice")
    pro = ProfessionalFactory(user__name="Helga")
    talk = conversation_of(professional=pro, client=alice)
    for n in range(40):  # more than the screen holds: the list scrolls
        say(talk, Role.CLIENT, f"Earlier message {n}")
    sign_in(page, pro.user.email, PASSWORD)
    url = f"/messages/{talk.code}/"
    gets: list[str] = []
    page.on(
        "request",
        lambda request: (
            gets.append(request.url)
            if request.method == "GET" and request.url.endswith(url)
            else None
        ),
    )
    page.goto(url)
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    expect(page.locator("a.inbox")).to_have_accessible_name(re.compile(r"^Messages$"))
    reply = page.get_by_role("textbox", name="Message")
    reply.fill("Half a thought")
    expect(page.locator("#message-list li").last).to_be_in_viewport()

    say(talk, Role.CLIENT, "Are we still on for Tuesday?")  # its send pushes to Helga
    expect(page.locator("#message-list li").last).to_contain_text("Are we still on for Tuesday?")
    expect(page.locator("#live-status")).to_have_text("New message")
    # Fetching it read it: the count goes back to none, and nothing loops.
    expect(page.locator("a.inbox")).to_have_accessible_name(re.compile(r"^Messages$"))
    talk.refresh_from_db()
    assert talk.professional_read_at >= talk.last_message_at
    # The new message in view, the reply being written untouched, the list not doubled.
    expect(page.locator("#message-list li").last).to_be_in_viewport()
    expect(reply).to_be_focused()
    expect(reply).to_have_value("Half a thought")
    expect(page.locator("#message-list li")).to_have_count(41)
    assert axe_violations(page) == []
    page.wait_for_timeout(500)  # time for a loop to show, if there were one
    assert len(gets) == 2  # the page, and the one fetch: its read push fetched nothing more
