"""The activities page and the practice page's chart in a real browser: at phone
and desktop widths, clean to axe-core, filtered with the form, and the CSV
downloaded from its link."""

import csv
import io

import pytest

from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_layout import phone_page
from tests.factories import PASSWORD
from tests.world import build_world


@pytest.fixture
def world(live, django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


@pytest.mark.parametrize("language", ["en", "is"])
@pytest.mark.parametrize("width", [360, 1280])
def test_activities_and_chart_fit_and_pass_axe(browser, live, world, width, language):
    from tengja.accounts.models import User

    User.objects.update(language=language)
    context, page = phone_page(browser, live, width, language)
    sign_in(page, world.people["professional"].email, PASSWORD)
    for path in ("/practice/activities/", "/practice/activities/?state=junk", "/practice/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        assert axe_violations(page) == [], path
    context.close()


def test_filter_then_download_the_csv(browser, live, world):
    context, page = phone_page(browser, live, 1280, "en")
    sign_in(page, world.people["professional"].email, PASSWORD)
    page.goto("/practice/activities/")
    page.get_by_label("State").select_option(label="Cancelled")
    page.get_by_role("button", name="Filter").click()
    assert "state=cancelled" in page.url
    shown = page.locator("table.activities tbody tr").count()
    assert shown >= 1
    assert page.locator("table.activities tbody tr", has_text="Cancelled").count() == shown
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    raw = download.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert header[0] == "Date" and len(rows) == shown
    assert {row[5] for row in rows} == {"Cancelled"}
    context.close()
