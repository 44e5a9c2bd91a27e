"""The header's unread messages count follows without a reload (ws/live/,
static/js/live.js): a client on a phone in Icelandic, and her professional."""

import asyncio
import re

import pytest
from django.template import RequestContext, Template
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


# A conversation page as the contract with the message pages has it: the list
# is <ol id="message-list" data-conversation="…">, rendered whole on the server,
# and its GET marks the viewer's side read and tells their other pages. (Its own
# URL, so this test does not depend on the message pages' branch.)
PAGE = Template(
    """{% extends "base.html" %}{% block title %}Talk{% endblock %}{% block content %}
<h1>Talk</h1>
<ol id="message-list" data-conversation="{{ talk.code }}">
{% for m in talk.messages.all %}<li id="m-{{ m.code }}">{{ m.body }}</li>{% endfor %}
</ol>
<form><label for="reply">Reply</label><textarea id="reply"></textarea></form>
{% endblock %}"""
)


GETS: list[str] = []


def _talk_page(request, code):
    GETS.append(code)
    from django.http import Http404, HttpResponse

    from tengja.messaging.models import Conversation

    talk = Conversation.objects.filter(code=code, professional__user=request.user).first()
    if talk is None:
        raise Http404
    read(talk, Role.PROFESSIONAL)
    unread_push(user=request.user, conversation=talk)
    return HttpResponse(PAGE.render(RequestContext(request, {"talk": talk})))


@pytest.fixture
def talk_page_url(settings):
    from types import ModuleType

    from django.urls import include, path
    from django.utils.module_loading import import_string

    root = settings.ROOT_URLCONF
    root = import_string(root + ".urlpatterns") if isinstance(root, str) else root.urlpatterns
    module = ModuleType("tests.browser.talk_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        *root,
        path("", include(([path("test-talk/<str:code>/", _talk_page)], "talk"))),
    ]
    settings.ROOT_URLCONF = module


def test_an_open_conversation_shows_a_new_message_without_a_reload(page, talk_page_url):
    alice = UserFactory(name="Alice")
    pro = ProfessionalFactory(user__name="Helga")
    talk = conversation_of(professional=pro, client=alice)
    for n in range(40):  # more than the screen holds: the list scrolls
        say(talk, Role.CLIENT, f"Earlier message {n}")
    sign_in(page, pro.user.email, PASSWORD)
    GETS.clear()
    page.goto(f"/test-talk/{talk.code}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    expect(page.locator("a.inbox")).to_have_accessible_name(re.compile(r"^Messages$"))
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    page.locator("#reply").fill("Half a thought")

    say(talk, Role.CLIENT, "Are we still on for Tuesday?")
    unread_push(user=pro.user, conversation=talk)
    expect(page.locator("#message-list li").last).to_have_text("Are we still on for Tuesday?")
    expect(page.locator("#live-status")).to_have_text("New message")
    # Fetching it read it: the count goes back to none, and nothing loops.
    expect(page.locator("a.inbox")).to_have_accessible_name(re.compile(r"^Messages$"))
    talk.refresh_from_db()
    assert talk.professional_read_at >= talk.last_message_at
    # Still at the bottom, the reply being written untouched, the list not doubled.
    assert page.evaluate(
        "(() => { const s = document.scrollingElement;"
        " return s.scrollHeight - s.scrollTop - s.clientHeight < 48; })()"
    )
    expect(page.locator("#reply")).to_have_value("Half a thought")
    expect(page.locator("#message-list li")).to_have_count(41)
    assert axe_violations(page) == []
    assert len(GETS) == 2  # the page, and the one fetch: its read push fetched nothing more
