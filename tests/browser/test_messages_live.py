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
from tests.messaging.helpers import conversation_of, messages_list_url, read, say

Role = Booking.Role


@pytest.fixture(autouse=True)
def _messages_list_url(settings):
    with messages_list_url(settings):
        yield


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
