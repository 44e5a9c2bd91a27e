"""A session's Cost line in each state a person meets, in English and Icelandic
(Icelandic's plural takes n % 10: 21 credits is singular)."""

import pytest
from django.utils import translation

from tengja.bookings.models import Booking
from tengja.bookings.templatetags.sessions import cost


def session(**fields) -> Booking:
    defaults = {"price_amount": 15000, "currency": "ISK", "status": "confirmed"}
    return Booking(**{**defaults, **fields})


CASES = [
    # (fields, bill status, English, Icelandic)
    ({}, None, "ISK\xa015,000", "15.000\xa0kr."),
    ({"price_amount": 0}, None, "ISK\xa00", "0\xa0kr."),
    (
        {"status": "cancelled"},
        None,
        "ISK\xa015,000 · nothing to pay",
        "15.000\xa0kr. · ekkert að greiða",
    ),
    (
        {"status": "cancelled", "late_cancellation": True},
        "open",
        "ISK\xa015,000 · still payable",
        "15.000\xa0kr. · greiða þarf samt",
    ),
    (
        {"status": "cancelled"},
        "refund_pending",
        "ISK\xa015,000 · payment being refunded",
        "15.000\xa0kr. · greiðslan er í endurgreiðslu",
    ),
    (
        {"status": "cancelled"},
        "refunded",
        "ISK\xa015,000 · payment refunded",
        "15.000\xa0kr. · greiðslan endurgreidd",
    ),
    ({"paid_with": "credits", "credits": 1}, None, "Paid with 1 credit", "Greitt með 1 inneign"),
    ({"paid_with": "credits", "credits": 2}, None, "Paid with 2 credits", "Greitt með 2 inneignum"),
    (
        {"paid_with": "credits", "credits": 21},
        None,
        "Paid with 21 credits",
        "Greitt með 21 inneign",
    ),
    (
        {"paid_with": "credits", "credits": 1, "status": "cancelled"},
        None,
        "1 credit, given back",
        "1 inneign, skilað aftur",
    ),
]


@pytest.mark.parametrize(("fields", "bill_status", "english", "icelandic"), CASES)
def test_the_cost_line_says_what_became_of_the_price(fields, bill_status, english, icelandic):
    booking = session(**fields)
    if bill_status is not None:
        booking.bill_status = bill_status
    for language, expected in (("en", english), ("is", icelandic)):
        with translation.override(language):
            assert cost(booking) == expected


def test_a_late_cancelled_credit_session_keeps_its_credits():
    booking = session(paid_with="credits", credits=2, status="cancelled", late_cancellation=True)
    with translation.override("en"):
        assert cost(booking) == "Paid with 2 credits, kept: cancelled late"
