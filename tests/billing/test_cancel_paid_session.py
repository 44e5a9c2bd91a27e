"""Cancelling a session paid by card (issue #26): the confirm page, the message
after and the session's Cost line say what becomes of the payment (refunded in
good time, kept when late), never "nothing to pay" for money that was taken."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tengja.billing.services import invoice_pay, new_payment_key
from tests.billing.conftest import add_card

SAID = {
    "en": {
        "confirm_refund": "You are cancelling in good time, so your payment of ISK\xa018,000 "
        "is refunded to your card.",
        "flash_refund": "The session is cancelled. Your payment of ISK\xa018,000 is being "
        "refunded to your card.",
        "cost_refund": "ISK\xa018,000 · payment being refunded",
        "cost_refunded": "ISK\xa018,000 · payment refunded",
        "nothing": "nothing to pay",
        "confirm_late_paid": "Your payment of ISK\xa018,000 is not refunded.",
        "still_pay": "You will still pay",
        "flash_late_paid": "The session is cancelled. As it was within the notice period, "
        "your payment of ISK\xa018,000 is not refunded.",
        "flash_late_open": "The session is cancelled. As it was within the notice period, "
        "it stays payable.",
    },
    "is": {
        "confirm_refund": "Þú afbókar með góðum fyrirvara, svo greiðslan þín, 18.000\xa0kr., "
        "er endurgreidd á kortið þitt.",
        "flash_refund": "Tíminn hefur verið afbókaður. Greiðslan þín, 18.000\xa0kr., er "
        "endurgreidd á kortið þitt.",
        "cost_refund": "18.000\xa0kr. · greiðslan er í endurgreiðslu",
        "cost_refunded": "18.000\xa0kr. · greiðslan endurgreidd",
        "nothing": "ekkert að greiða",
        "confirm_late_paid": "Greiðslan þín, 18.000\xa0kr., er ekki endurgreidd.",
        "still_pay": "Þú greiðir samt",
        "flash_late_paid": "Tíminn hefur verið afbókaður. Þar sem það var innan "
        "afbókunarfrests er greiðslan þín, 18.000\xa0kr., ekki endurgreidd.",
        "flash_late_open": "Tíminn hefur verið afbókaður. Þar sem það var innan "
        "afbókunarfrests þarf samt að greiða fyrir hann.",
    },
}


@pytest.fixture(params=["en", "is"])
def language(request, alice):
    alice.language = request.param
    alice.save(update_fields=["language"])
    return request.param


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def paid(alice, invoice):
    invoice_pay(invoice=invoice, method=add_card(alice), payment_key=new_payment_key())
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_cancelling_a_paid_session_in_time_says_the_payment_is_refunded(
    client, alice, invoice, language, django_capture_on_commit_callbacks
):
    paid(alice, invoice)
    said = SAID[language]
    client.force_login(alice)
    cancel = reverse("bookings:cancel", args=[invoice.booking.code])
    page = text(client.get(cancel))
    assert said["confirm_refund"] in page and said["nothing"] not in page
    with django_capture_on_commit_callbacks(execute=False) as after:
        response = client.post(cancel, follow=True)
    # What the commit does at once (pages kept before it are dropped); the refund
    # is asked of the bank afterwards.
    kept_pages_dropped = [c for c in after if "bump" in c.__qualname__]
    for callback in kept_pages_dropped:
        callback()
    page = text(response)
    assert said["flash_refund"] in page
    assert said["cost_refund"] in page and said["nothing"] not in page
    detail = reverse("bookings:detail", args=[invoice.booking.code])
    for url in (detail, reverse("dashboard:home")):
        assert said["cost_refund"] in text(client.get(url))
    # Once the bank has refunded it, the pages (kept ones too) say so.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in after:
            if callback not in kept_pages_dropped:
                callback()
    invoice.refresh_from_db()
    assert invoice.status == "refunded"
    for url in (detail, reverse("dashboard:home")):
        page = text(client.get(url))
        assert said["cost_refunded"] in page and said["cost_refund"] not in page


def test_cancelling_late_says_what_becomes_of_the_bill(
    client, alice, invoice, language, django_capture_on_commit_callbacks
):
    said = SAID[language]
    client.force_login(alice)
    with time_machine.travel(invoice.booking.starts_at - timedelta(hours=5), tick=False):
        cancel = reverse("bookings:cancel", args=[invoice.booking.code])
        response = client.post(cancel, follow=True)
        assert said["flash_late_open"] in text(response)


def test_cancelling_a_paid_session_late_says_the_payment_is_kept(
    client, alice, invoice, language, django_capture_on_commit_callbacks
):
    paid(alice, invoice)
    said = SAID[language]
    client.force_login(alice)
    with time_machine.travel(invoice.booking.starts_at - timedelta(hours=5), tick=False):
        cancel = reverse("bookings:cancel", args=[invoice.booking.code])
        page = text(client.get(cancel))
        assert said["confirm_late_paid"] in page and said["still_pay"] not in page
        response = client.post(cancel, follow=True)
        assert said["flash_late_paid"] in text(response)
