"""How the pages look and work in a real browser: phone widths, the user menu,
disabled buttons, and axe-core's accessibility rules on the main pages."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tengja.billing.selectors import invoice_standing
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD
from tests.world import build_world


@pytest.fixture
def world(live, django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


def phone_page(browser, live, width: int, language: str = "is"):
    context = browser.new_context(
        base_url=live.url,
        viewport={"width": width, "height": 740},
        locale="is-IS" if language == "is" else "en-GB",
        timezone_id="Atlantic/Reykjavik",
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.mark.parametrize("width", [320, 360, 389])
def test_on_a_phone_the_header_fits_and_the_menu_opens_on_screen(browser, live, world, width):
    # The professional is also a hub member here: the fullest header there is.
    pro = world.people["professional"]
    world.membership.user = pro
    world.membership.save()
    pro.language = "is"
    pro.save()
    context, page = phone_page(browser, live, width)
    sign_in(page, world.people["professional"].email, PASSWORD)
    for path in ("/", "/practice/availability/", "/payments/", "/payments/cards/new/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.goto("/")
    brand = page.locator(".brand").bounding_box()
    # The name, the bell and the avatar share the first line.
    for element in (".bell", ".user-menu summary"):
        box = page.locator(element).bounding_box()
        assert abs((box["y"] + box["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 12
        assert box["x"] + box["width"] <= width
    page.locator(".user-menu summary").click()
    menu = page.locator(".user-menu__items").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= width, menu
    page.locator(".user-menu").get_by_role("link", name="Prófíll").click()
    expect(page.get_by_role("heading", name="Prófíllinn minn")).to_be_visible()
    context.close()


def test_a_disabled_button_looks_disabled(page, world):
    sign_in(page, world.people["client"].email, PASSWORD)
    page.goto("/")

    def colours(locator) -> tuple[str, str]:
        return locator.evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
        )

    enabled = page.locator("a.button", has_text="Join video session").first
    disabled = page.locator(".button--disabled", has_text="Join video session").first
    assert colours(enabled) != colours(disabled)
    page.goto(reverse("video:join", args=[world.bookings["soon"].code]))
    join = page.locator("#join-button")
    # The device check enables it when the camera is ready: let it finish first.
    expect(join).to_be_enabled()
    join.evaluate("e => { e.disabled = false; }")
    ready = colours(join)
    join.evaluate("e => { e.disabled = true; }")
    assert colours(join) != ready
    assert join.evaluate("e => getComputedStyle(e).cursor") == "not-allowed"


def axe_pages(world) -> list[tuple[str, str]]:
    b = world.bookings
    hub = world.hub.code
    return [
        ("visitor", "/"),
        ("visitor", "/accounts/login/"),
        ("visitor", "/accounts/signup/"),
        ("visitor", f"/hubs/{hub}/"),
        ("visitor", f"/hubs/{hub}/join/"),
        ("client", "/"),
        ("client", "/calendar/"),
        ("client", "/payments/"),
        ("client", "/payments/cards/new/"),
        ("client", "/notifications/"),
        ("client", "/accounts/profile/"),
        ("client", reverse("bookings:detail", args=[b["paid"].code])),
        ("client", reverse("bookings:move", args=[b["paid"].code])),
        ("client", reverse("bookings:move", args=[b["soon"].code])),  # refused, and why
        ("client", reverse("billing:invoice", args=[invoice_standing(booking=b["refunded"]).code])),
        ("client", reverse("video:join", args=[b["soon"].code])),
        ("member", f"/hubs/{hub}/professionals/"),
        ("member", f"/hubs/{hub}/professionals/{world.professional.code}/"),
        ("professional", "/"),
        ("professional", "/practice/"),
        ("professional", "/practice/availability/"),
        ("professional", "/practice/invite/"),
        ("hr", f"/hubs/{hub}/admin/"),
    ]


@pytest.mark.parametrize("language", ["en", "is"])
def test_the_main_pages_pass_axe_core(browser, live, world, language):
    from tengja.accounts.models import User

    User.objects.update(language=language)
    failures = {}
    contexts = {}
    for who, path in axe_pages(world):
        if who not in contexts:
            contexts[who] = phone_page(browser, live, 1280, language)
            if who != "visitor":
                sign_in(contexts[who][1], world.people[who].email, PASSWORD)
        page = contexts[who][1]
        page.goto(path)
        violations = axe_violations(page)
        if violations:
            failures[f"{who} {path}"] = violations
    for context, _page in contexts.values():
        context.close()
    assert failures == {}


def test_a_read_only_field_does_not_look_editable(page, world):
    page.goto(reverse("bookings:invitation", args=[world.tokens["invitation"]]))
    style = "e => [getComputedStyle(e).borderColor, getComputedStyle(e).backgroundColor]"
    invited = page.locator("#invited-email")
    expect(invited).to_have_value("nyr.skjolstaedingur@example.com")
    assert invited.evaluate(style) != page.get_by_label("Name").evaluate(style)
