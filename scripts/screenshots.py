"""Screenshots of Tengja's pages, to look at before calling a change done.

Run against a server with the demo data (`make run`), then open the PNGs:

    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000]
        [--out var/screenshots] [--only home,payments] [--widths 360,1280]
        [--languages en,is]

Each page is taken for the demo person who sees it, in each language and at
each width, as `<out>/<name>-<language>-<width>.png`.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright
from support import chromium

BASE_DIR = Path(__file__).resolve().parent.parent


def demo_logins() -> dict:
    out = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "demo", "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=BASE_DIR,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def pages(demo: dict) -> list[tuple[str, str | None, str]]:
    """(name, who, path): who is a key of the demo logins, or None for a visitor."""
    hub = demo["hub_url"]
    return [
        ("welcome", None, "/"),
        ("login", None, "/accounts/login/"),
        ("signup", None, "/accounts/signup/"),
        ("password-reset", None, "/accounts/password-reset/"),
        ("hub-visitor", None, hub),
        ("hub-signup", None, hub + "join/"),
        ("terms", None, "/accounts/terms/"),
        ("home", "client", "/"),
        ("menu-open", "client", "/"),
        ("calendar", "client", "/calendar/"),
        ("payments", "client", "/payments/"),
        ("card-add", "client", "/payments/cards/new/"),
        ("notifications", "client", "/notifications/"),
        ("notification-settings", "client", "/notifications/settings/"),
        ("profile", "client", "/accounts/profile/"),
        ("two-step", "client", "/accounts/profile/two-step/"),
        ("delete-account", "client", "/privacy/delete/"),
        ("account-deleted", None, "/privacy/deleted/"),
        ("connections", "client", "/connections/"),
        ("hub-browse", "member", hub + "professionals/"),
        ("pro-home", "professional", "/"),
        ("pro-requests", "professional", "/practice/requests/"),
        ("client-requests", "client", "/requests/"),
        ("practice", "professional", "/practice/"),
        ("availability", "professional", "/practice/availability/"),
        ("invite", "professional", "/practice/invite/"),
        ("session-type", "professional", "/practice/session-types/new/"),
        ("details-required", "professional", "/practice/client-details/"),
        ("practice-forms", "professional", "/practice/forms/"),
        ("practice-form-new", "professional", "/practice/forms/new/"),
        ("hr-home", "hr_admin", "/"),
        ("hr-admin", "hr_admin", hub + "admin/"),
        ("hub-hr", "hr_admin", hub),
        ("practice-hubs", "professional", "/practice/hubs/"),
        ("hub-find", None, "/hubs/"),
        ("session", "client", "/sessions/demo-next-week/"),
        ("session-soon", "client", "/sessions/demo-soon/"),
        ("session-on-site", "client", "/sessions/demo-on-site/"),
        ("session-on-site-call", "client", "/sessions/demo-on-site/join/"),
        ("session-move", "client", "/sessions/demo-next-week/move/"),
        ("session-move-review", "client", "/sessions/demo-next-week/move/"),
        ("session-move-refused", "client", "/sessions/demo-soon/move/"),
        ("practice-week", "professional", "/practice/week/"),
        ("practice-clients", "professional", "/practice/clients/"),
        ("practice-activities", "professional", "/practice/activities/"),
        ("pro-session-ended", "professional", "/sessions/demo-yesterday/"),
        ("pro-session-cancel", "professional", "/sessions/demo-yesterday/cancel/"),
        ("pro-session-series", "professional", "/sessions/demo-series-2/"),
        ("pro-series-move", "professional", "/sessions/demo-series-2/series/move/"),
        ("pro-series-cancel", "professional", "/sessions/demo-series-2/series/cancel/"),
        ("client-session-series", "client", "/sessions/demo-series-1/"),
        ("practice-client", "professional", f"/practice/clients/{demo['client_code']}/"),
        ("consent-signed", "client", f"/intake/responses/{demo['signed_consent']}/"),
        ("consent-signed-pro", "professional", f"/intake/responses/{demo['signed_consent']}/"),
        ("staff-professionals", "operator", "/staff/professionals/"),
        ("booking-page", None, urlsplit(demo["professional"]["booking_url"]).path),
        ("booking-page-client", "client", urlsplit(demo["professional"]["booking_url"]).path),
        ("booking-page-settings", "professional", "/practice/booking-page/"),
        ("my-measures", "client", "/measures/"),
        ("note-signed", "professional", f"/practice/notes/{demo['notes']['signed']}/"),
        ("note-draft", "professional", f"/practice/notes/{demo['notes']['draft']}/"),
        ("note-templates", "professional", "/practice/note-templates/"),
        ("note-template-new", "professional", "/practice/note-templates/new/"),
        ("member-home", "member", "/"),
        ("wellbeing", "member", "/wellbeing/" + hub.rstrip("/").rsplit("/", 1)[-1] + "/"),
        ("messages", "client", "/messages/"),
        ("messages-pro", "professional", "/messages/"),
        ("conversation", "client", f"/messages/{demo['conversation']}/"),
        ("conversation-pro", "professional", f"/messages/{demo['conversation']}/"),
    ]


def sign_in(page, login: dict) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(login["email"])
    page.locator("#id_password").fill(login["password"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def choose_language(page, language: str) -> None:
    page.goto("/accounts/terms/")
    page.locator("#footer-language").select_option(language)
    page.locator(".language-form button").click()
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(BASE_DIR / "var" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--widths", default="360,1280")
    parser.add_argument("--languages", default="en,is")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    demo = demo_logins()
    only = {name for name in args.only.split(",") if name}
    todo = [p for p in pages(demo) if not only or p[0] in only]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium.CHROMIUM, args=chromium.FLAGS)
        for language in args.languages.split(","):
            for width in (int(w) for w in args.widths.split(",")):
                contexts: dict = {}
                for name, who, path in todo:
                    if who not in contexts:
                        context = browser.new_context(
                            base_url=args.base,
                            viewport={"width": width, "height": 800},
                            locale="is-IS" if language == "is" else "en-GB",
                            timezone_id="Atlantic/Reykjavik",
                        )
                        page = context.new_page()
                        if who:
                            sign_in(page, demo[who])
                        choose_language(page, language)
                        contexts[who] = (context, page)
                    page = contexts[who][1]
                    page.goto(path)
                    if name == "menu-open":
                        page.locator(".user-menu summary").click()
                    if name == "session-move-review":
                        page.locator(".slot").first.click()
                        page.wait_for_load_state()
                    target = out / f"{name}-{language}-{width}.png"
                    page.screenshot(path=str(target), full_page=name != "menu-open")
                    print(target)
                for context, _page in contexts.values():
                    context.close()
        browser.close()


if __name__ == "__main__":
    main()
