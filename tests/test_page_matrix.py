"""Every page, for every kind of person, in every language, with data in every state.

The pages come from the URL configuration itself, so a page added tomorrow
fails this test until it is given a place below (or a reason it cannot be
reached here). Each page must answer what it should for each person, never a
server error, within a query budget, and say what browsers may keep and use; in
Icelandic, no English may show.
"""

import re
import traceback
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.billing.selectors import invoice_standing
from tengja.bookings.page import page_next_times
from tengja.bookings.slots import free_slots, free_slots_to_move_to
from tests.world import World, build_world, sanity

VISITOR, CLIENT, MEMBER, PENDING, PRO, HR, OPERATOR = (
    "visitor",
    "client",
    "member",
    "pending",
    "professional",
    "hr",
    "operator",
)
PEOPLE = (VISITOR, CLIENT, MEMBER, PENDING, PRO, HR, OPERATOR)
SIGNED_IN = PEOPLE[1:]
LANGUAGES = ("en", "is")
# No page needs more, whatever the data: session, user, a few reads, the header.
QUERY_BUDGET = 25


def offered_time(world: World):
    """A time the review page offers: one of the professional's free times (it
    refuses any other), a few days on."""
    kind = world.bookings["credits"].session_type
    free = free_slots(
        professionals=[world.professional],
        duration=kind.duration,
        start=timezone.localdate() + timedelta(days=3),
        days=14,
    )[world.professional.pk]
    return free[0].starts_at


# Pages the matrix does not request, and why.
NOT_REACHED = {
    "admin": "Django's own admin, for staff only; Django translates it itself.",
    "media": "Uploaded pictures, not pages; tests/accounts/test_picture.py checks them.",
}


def expect(*allowed: str, status: int = 200, others: int = 404, visitor: int = 302):
    """`allowed` get `status`; other signed-in people `others`; a visitor `visitor`."""
    return {
        who: status if who in allowed else (visitor if who == VISITOR else others) for who in PEOPLE
    }


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def signed_in(status: int, visitor: int = 302) -> dict[str, int]:
    return {who: visitor if who == VISITOR else status for who in PEOPLE}


Kwargs = Callable[[World], dict]
NONE: Kwargs = lambda w: {}  # noqa: E731


def reset_token(world: World) -> str:
    # Made afresh: a reset token is void once its user signs in (as the matrix does).
    return default_token_generator.make_token(User.objects.get(pk=world.people[CLIENT].pk))


def booking(name: str) -> Kwargs:
    return lambda w: {"code": w.bookings[name].code}


def request(name: str) -> Kwargs:
    return lambda w: {"code": w.requests[name].code}


def invoice(name: str) -> Kwargs:
    return lambda w: {"code": invoice_standing(booking=w.bookings[name]).code}


def intake_form(name: str, **more: str) -> Kwargs:
    return lambda w: {"code": w.intake_forms[name].code, **more}


def note(name: str) -> Kwargs:
    return lambda w: {"code": w.notes[name].code}


def page_time(world: World) -> str:
    """A time the booking page offers for the world's session type."""
    [first, *_] = page_next_times(
        professional=world.professional,
        session_type=world.kind,
        after=timezone.now() + timedelta(days=5),
    )
    return first.starts_at.isoformat()


def form_of(name: str) -> Kwargs:
    return lambda w: {"code": w.responses[name].form.code}


def response_of(name: str) -> Kwargs:
    return lambda w: {"code": w.responses[name].code}


def free_time(world: World) -> str:
    """The first time the client may move the "paid" session to."""
    booking = world.bookings["paid"]
    [first, *_] = free_slots_to_move_to(booking=booking, start=timezone.localdate(), days=14)
    return first.starts_at.isoformat()


# url name -> [(variant, kwargs, query string (or one made from the world), status per person)]
PAGES: dict[str, list[tuple[str, Kwargs, str | Callable[[World], str], dict[str, int]]]] = {
    "health": [("", NONE, "", everyone(200))],
    "dashboard:home": [("", NONE, "", everyone(200)), ("page 2", NONE, "?page=2", everyone(200))],
    "dashboard:calendar": [
        ("", NONE, "", signed_in(200)),
        ("a month", NONE, "?month=2031-01", signed_in(200)),
        ("a week", NONE, "?week=2031-01-06", signed_in(200)),
    ],
    "dashboard:connections": [("", NONE, "", signed_in(200))],
    "dashboard:practice_week": [
        ("", NONE, "", expect(PRO)),
        ("a week", NONE, "?week=2031-01-06", expect(PRO)),
        ("a day", NONE, "?day=2031-01-09", expect(PRO)),
        ("junk", NONE, "?day=junk&week=9999-99-99", expect(PRO)),
    ],
    "dashboard:practice_clients": [
        ("", NONE, "", expect(PRO)),
        ("page 5", NONE, "?page=5", expect(PRO)),
    ],
    "dashboard:practice_hubs": [("", NONE, "", expect(PRO))],
    "dashboard:practice_activities": [
        ("", NONE, "", expect(PRO)),
        ("page 3", NONE, "?page=3", expect(PRO)),
        (
            "filtered",
            NONE,
            lambda w: f"?state=done&client={w.people[CLIENT].code}&since=2020-01-01",
            expect(PRO),
        ),
        ("junk", NONE, "?state=junk&since=2031-13-45&type=nope", expect(PRO, status=400)),
    ],
    # The same as files: a bad filter is the page with its errors.
    **{
        name: [
            ("", NONE, "", expect(PRO)),
            ("a range", NONE, "?since=2020-01-01&until=2040-12-31", expect(PRO)),
            ("junk", NONE, "?until=yesterday", expect(PRO, status=400)),
        ]
        for name in ("dashboard:practice_activities_csv", "dashboard:practice_activities_xlsx")
    },
    "dashboard:practice_client": [
        ("", lambda w: {"code": w.people[CLIENT].code}, "", expect(PRO)),
        ("hub member", lambda w: {"code": w.people[MEMBER].code}, "", expect(PRO)),
        ("not a client", lambda w: {"code": w.people[HR].code}, "", signed_in(404)),
    ],
    "dashboard:connection": [
        ("", lambda w: {"code": w.professional.code}, "", signed_in(200)),
        ("unknown", lambda w: {"code": "nobody"}, "", signed_in(404)),
    ],
    "bookings:detail": [
        (name, booking(name), "", expect(CLIENT, PRO))
        for name in (
            *("soon", "paid", "moved", "void", "late", "refunded", "past"),
            *("ended", "skipped", "series"),
        )
    ]
    + [
        ("invited", booking("invited"), "", expect(PRO)),
        ("with credits", booking("credits"), "", expect(MEMBER, PRO)),
    ],
    "bookings:cancel": [
        ("", booking("paid"), "", expect(CLIENT, PRO)),
        ("late", booking("soon"), "", expect(CLIENT, PRO)),
        ("with credits", booking("credits"), "", expect(MEMBER, PRO)),
        # Over: the professional may record a no-show or a mistake (void); the
        # client is sent back to the session page, which says why they may not.
        ("over", booking("past"), "", {**expect(CLIENT, PRO), CLIENT: 302}),
    ],
    "bookings:move": [
        # The client picks one of the professional's free times; the professional
        # types any time. Refused (and told why) within the notice or once over.
        ("", booking("paid"), "", expect(CLIENT, PRO)),
        ("later days", booking("paid"), "?from=2031-01-06", expect(CLIENT, PRO)),
        ("junk", booking("paid"), "?from=9999-99-99", expect(CLIENT, PRO)),
        ("within the notice", booking("soon"), "", {**expect(CLIENT, PRO), CLIENT: 403}),
        ("cancelled", booking("void"), "", expect(CLIENT, PRO, status=403)),
        ("past", booking("past"), "", {**expect(CLIENT, PRO), CLIENT: 403}),
        ("with credits", booking("credits"), "", expect(MEMBER, PRO)),
    ],
    "bookings:move_confirm": [
        ("", booking("paid"), lambda w: "?starts_at=" + quote(free_time(w)), expect(CLIENT)),
        ("no time", booking("paid"), "", expect(CLIENT, status=302)),
        (
            "taken",
            booking("paid"),
            lambda w: "?starts_at=" + quote(w.bookings["waiting"].starts_at.isoformat()),
            expect(CLIENT, status=302),
        ),
        ("within the notice", booking("soon"), "", expect(CLIENT, status=403)),
    ],
    "bookings:series_cancel": [
        ("", booking("series"), "", expect(CLIENT, PRO)),
        ("not in a series", booking("paid"), "", signed_in(404)),
    ],
    "bookings:series_move": [
        ("", booking("series"), "", expect(CLIENT, PRO)),
        ("not in a series", booking("paid"), "", signed_in(404)),
    ],
    "bookings:resend": [("", booking("invited"), "", signed_in(405))],
    "bookings:invitation": [
        # A visitor gets the sign-up form; anyone signed in is told it is not theirs.
        ("", lambda w: {"token": w.tokens["invitation"]}, "", signed_in(400, visitor=200)),
        ("forged", lambda w: {"token": "forged"}, "", everyone(400)),
    ],
    # A professional's own booking page: open to all; the professional is told
    # they cannot book themselves (403 on a time).
    "bookings:page": [
        ("", lambda w: {"slug": "helga"}, "?tz=America/New_York", everyone(200)),
        ("next week", lambda w: {"slug": "helga"}, "?week=1", everyone(200)),
        ("junk", lambda w: {"slug": "helga"}, "?tz=Mars/Base&week=-4", everyone(200)),
        ("unknown", lambda w: {"slug": "nobody"}, "", everyone(404)),
    ],
    "bookings:page_time": [
        (
            "",
            lambda w: {"slug": "helga", "code": w.kind.code},
            lambda w: "?at=" + quote(page_time(w)) + "&tz=America/New_York",
            {**everyone(200), PRO: 403},
        ),
        (
            "not offered",
            lambda w: {"slug": "helga", "code": w.kind.code},
            "?at=2020-01-01T10:00:00%2B00:00",
            {**everyone(200), PRO: 403},
        ),
        ("unknown type", lambda w: {"slug": "helga", "code": "nope"}, "", everyone(404)),
    ],
    "bookings:page_check_email": [("", lambda w: {"slug": "helga"}, "", everyone(200))],
    "bookings:page_confirm_email": [
        ("", lambda w: {"token": w.tokens["page_signup"]}, "", everyone(200)),
        ("forged", lambda w: {"token": "forged"}, "", everyone(400)),
    ],
    "bookings:page_sent": [("", lambda w: {"code": w.tokens["page_request"]}, "", expect(CLIENT))],
    "professionals:booking_page": [("", NONE, "", expect(PRO))],
    "bookings:practice": [("", NONE, "", expect(PRO))],
    "bookings:requests": [("", NONE, "", expect(PRO))],
    # POST only: the professional's actions on a request (tests/bookings/test_request_views.py).
    "bookings:request_accept": [("", request("open"), "", signed_in(405))],
    "bookings:request_decline": [("", request("open"), "", signed_in(405))],
    "bookings:my_requests": [("", NONE, "", signed_in(200))],
    "bookings:request": [
        ("open", request("open"), "", expect(CLIENT)),
        ("declined", request("declined"), "", expect(CLIENT)),
        ("unknown", lambda w: {"code": "nothing"}, "", signed_in(404)),
    ],
    "bookings:request_withdraw": [("", request("open"), "", signed_in(405))],
    "bookings:invite": [("", NONE, "", expect(PRO))],
    "professionals:session_type_new": [("", NONE, "", expect(PRO))],
    "professionals:session_type": [("", lambda w: {"code": w.kind.code}, "", expect(PRO))],
    "professionals:profile": [("", NONE, "", expect(PRO))],
    # The professional's forms (issue 29): theirs alone; each change its own address.
    # Outcome measures: the client's, and the professional's who sent them.
    "measures:mine": [("", NONE, "", signed_in(200))],
    "measures:answer": [
        ("waiting", lambda w: {"code": w.measure_requests["waiting"].code}, "", expect(CLIENT)),
        ("answered", lambda w: {"code": w.measure_requests["answered"].code}, "", expect(CLIENT)),
    ],
    "measures:response": [
        (
            "item 9",
            lambda w: {"code": w.measure_responses["answered"].code},
            "",
            expect(CLIENT, PRO),
        )
    ],
    "measures:share": [("", NONE, "", signed_in(405))],
    "measures:send": [("", lambda w: {"code": w.people[CLIENT].code}, "", signed_in(405))],
    "measures:stop": [
        ("", lambda w: {"code": w.measure_requests["waiting"].code}, "", signed_in(405))
    ],
    "measures:seen": [
        ("", lambda w: {"code": w.measure_responses["answered"].code}, "", signed_in(405))
    ],
    # Wellbeing (tengja.wellbeing): the member's own index and ratings; HR's figures
    # and the professional's average are parts of their pages (hubs:admin, practice_hubs).
    "wellbeing:index": [("", lambda w: {"code": w.hub.code}, "", expect(MEMBER))],
    "wellbeing:rate": [
        ("ended", lambda w: {"code": w.wellbeing["ended"].code}, "", expect(MEMBER)),
        ("to come", booking("credits"), "", expect(MEMBER)),
        ("not a hub session", booking("past"), "", expect()),
    ],
    "wellbeing:share": [("", NONE, "", signed_in(405))],
    "intake:builder_list": [("", NONE, "", expect(PRO))],
    "intake:builder_new": [("", NONE, "", expect(PRO))],
    "intake:builder_edit": [
        ("consent", intake_form("telehealth_consent"), "", expect(PRO)),
        ("intake", intake_form("general_intake"), "", expect(PRO)),
        ("adding a choice", intake_form("general_intake"), "?add=choice", expect(PRO)),
        ("adding a scale", intake_form("general_intake"), "?add=scale", expect(PRO)),
        ("unknown", lambda w: {"code": "nope"}, "", expect(others=404)),
    ],
    "intake:builder_preview": [
        ("consent", intake_form("telehealth_consent"), "", expect(PRO)),
        ("intake", intake_form("general_intake"), "", expect(PRO)),
    ],
    **{
        name: [("", intake_form("general_intake"), "", signed_in(405))]
        for name in ("intake:builder_delete", "intake:builder_field_add")
    },
    **{
        name: [("", intake_form("general_intake", key="reason"), "", signed_in(405))]
        for name in (
            "intake:builder_field_save",
            "intake:builder_field_up",
            "intake:builder_field_down",
            "intake:builder_field_remove",
        )
    },
    "professionals:business_details": [("", NONE, "", expect(PRO))],
    # Private session notes (issue 30): the author's alone, 404 for everyone else.
    "notes:note": [
        ("signed", note("signed"), "", expect(PRO)),
        ("draft", note("draft"), "", expect(PRO)),
        ("general", note("general"), "", expect(PRO)),
        ("unknown", lambda w: {"code": "nope"}, "", expect(others=404)),
    ],
    **{
        name: [("", note("draft"), "", signed_in(405))]
        for name in ("notes:note_save", "notes:note_sign", "notes:addendum_add")
    },
    # Throwing a draft away asks first (GET); a signed note goes back to itself.
    "notes:note_delete": [
        ("draft", note("draft"), "", expect(PRO)),
        ("signed", note("signed"), "", expect(PRO, status=302)),
        ("unknown", lambda w: {"code": "nope"}, "", expect(others=404)),
    ],
    "notes:new_for_session": [("", booking("past"), "", signed_in(405))],
    "notes:new_for_client": [("", lambda w: {"code": w.people[CLIENT].code}, "", signed_in(405))],
    "notes:template_list": [("", NONE, "", expect(PRO))],
    "notes:template_new": [("", NONE, "", expect(PRO))],
    "notes:template_edit": [
        ("", lambda w: {"code": w.note_template.code}, "", expect(PRO)),
        ("unknown", lambda w: {"code": "nope"}, "", expect(others=404)),
    ],
    "notes:template_delete": [("", lambda w: {"code": w.note_template.code}, "", signed_in(405))],
    # Secure messages (issue 30): a conversation and its files for its two people only.
    "messaging:inbox": [
        ("", NONE, "", signed_in(200)),
        ("page 2", NONE, "?page=2", signed_in(200)),
    ],
    "messaging:conversation": [
        ("", lambda w: {"code": w.conversation.code}, "", expect(CLIENT, PRO)),
        ("older", lambda w: {"code": w.conversation.code}, "?page=2", expect(CLIENT, PRO)),
        ("unknown", lambda w: {"code": "nope"}, "", expect(others=404)),
    ],
    "messaging:file": [
        ("pdf", lambda w: {"code": w.messages["pdf"].code}, "", expect(CLIENT, PRO)),
        ("removed", lambda w: {"code": w.messages["removed"].code}, "", expect(others=404)),
        ("no file", lambda w: {"code": w.messages["text"].code}, "", expect(others=404)),
    ],
    "messaging:start": [("", NONE, "", signed_in(405))],
    **{
        name: [("", lambda w: {"code": w.conversation.code}, "", signed_in(405))]
        for name in ("messaging:close", "messaging:reopen")
    },
    "messaging:remove": [("", lambda w: {"code": w.messages["text"].code}, "", signed_in(405))],
    "intake:details_required": [("", NONE, "", expect(PRO))],
    # Only a client of the professional (with a session or a request) gives them details.
    "intake:details": [
        ("", lambda w: {"code": w.professional.code}, "", expect(CLIENT, MEMBER)),
        ("unknown", lambda w: {"code": "nobody"}, "", signed_in(404)),
    ],
    "professionals:availability": [("", NONE, "", expect(PRO))],
    "professionals:window_add": [("", NONE, "", signed_in(405))],
    "professionals:exception_add": [("", NONE, "", signed_in(405))],
    "professionals:time_off_add": [("", NONE, "", signed_in(405))],
    "professionals:calendar_rules": [("", NONE, "", signed_in(405))],
    "professionals:window_remove": [("", lambda w: {"code": "x"}, "", signed_in(405))],
    "professionals:exception_remove": [("", lambda w: {"code": "x"}, "", signed_in(405))],
    "professionals:session_type_stop": [("", lambda w: {"code": w.kind.code}, "", signed_in(405))],
    "professionals:session_type_resume": [
        ("", lambda w: {"code": w.kind.code}, "", signed_in(405))
    ],
    "professionals:join": [
        # A visitor gets the sign-up form; anyone signed in is another address.
        ("", lambda w: {"token": w.tokens["professional_join"]}, "", signed_in(400, visitor=200)),
        ("forged", lambda w: {"token": "forged"}, "", everyone(400)),
    ],
    "professionals:staff": [
        ("", NONE, "", expect(OPERATOR)),
        ("page 3", NONE, "?page=3", expect(OPERATOR)),
    ],
    # The operators' changes: each its own address, POST only.
    "professionals:staff_invite": [("", NONE, "", everyone(405))],
    **{
        name: [("", lambda w: {"code": w.professional_invitation.code}, "", everyone(405))]
        for name in (
            "professionals:staff_invitation_resend",
            "professionals:staff_invitation_revoke",
        )
    },
    **{
        name: [("", lambda w: {"code": w.professional.code}, "", everyone(405))]
        for name in ("professionals:staff_deactivate", "professionals:staff_reactivate")
    },
    "professionals:public": [
        ("", lambda w: {"code": w.professional.code}, "", everyone(200)),
        ("unknown", lambda w: {"code": "nobody"}, "", everyone(404)),
    ],
    # A client's forms: the consent `kind` requires (signed by the client; the hub
    # member, booked on that type, has it to sign) and an intake form the client started.
    "intake:form_fill": [
        ("signed consent", form_of("signed"), "", expect(CLIENT, MEMBER)),
        ("draft intake", form_of("draft"), "", expect(CLIENT)),
        ("unknown", lambda w: {"code": "nope"}, "", signed_in(404)),
    ],
    "intake:form_save": [("", form_of("draft"), "", signed_in(405))],
    "intake:response_detail": [
        (name, response_of(name), "", expect(CLIENT, PRO)) for name in ("signed", "draft")
    ],
    "intake:response_pdf": [
        ("signed", response_of("signed"), "", expect(CLIENT, PRO)),
        ("draft", response_of("draft"), "", signed_in(404)),
    ],
    "video:join": [
        ("open", booking("soon"), "", expect(CLIENT, PRO)),
        ("not yet", booking("paid"), "", expect(CLIENT, PRO, status=403)),
        ("cancelled", booking("void"), "", expect(CLIENT, PRO, status=403)),
    ],
    "accounts:signup": [("", NONE, "", signed_in(302, visitor=200))],
    "accounts:login": [("", NONE, "", signed_in(302, visitor=200))],
    # The second step of signing in: without a password first, back to sign in.
    "accounts:login_code": [("", NONE, "", everyone(302))],
    "accounts:two_factor": [("", NONE, "", signed_in(200))],
    "accounts:two_factor_disable": [("", NONE, "", signed_in(405))],
    "accounts:logout": [("", NONE, "", everyone(405))],
    "accounts:password_reset": [("", NONE, "", everyone(200))],
    "accounts:password_reset_done": [("", NONE, "", everyone(200))],
    "accounts:password_reset_confirm": [
        # A valid link hides its token behind a redirect (Django's own view).
        (
            "",
            lambda w: {"uidb64": w.tokens["reset_uid"], "token": reset_token(w)},
            "",
            everyone(302),
        ),
        ("expired", lambda w: {"uidb64": w.tokens["reset_uid"], "token": "a-b"}, "", everyone(200)),
    ],
    "accounts:password_reset_complete": [("", NONE, "", everyone(200))],
    "accounts:profile": [("", NONE, "", signed_in(200))],
    "accounts:picture": [("", NONE, "", signed_in(405))],
    "accounts:email_change": [("", NONE, "", signed_in(405))],
    "accounts:email_change_confirm": [
        ("", lambda w: {"token": w.tokens["email_change"]}, "", everyone(200)),
        ("forged", lambda w: {"token": "forged"}, "", everyone(400)),
    ],
    "accounts:password_change": [("", NONE, "", signed_in(200))],
    "accounts:password_change_done": [("", NONE, "", signed_in(200))],
    "accounts:set_language": [("", NONE, "", everyone(405))],
    "accounts:terms": [("", NONE, "", everyone(200))],
    "billing:payments": [
        ("", NONE, "", signed_in(200)),
        ("page 9", NONE, "?page=9", signed_in(200)),
    ],
    "billing:invoice": [
        (name, invoice(name), "", expect(CLIENT, PRO))
        for name in ("soon", "paid", "waiting", "void", "late", "refunded", "returned", "past")
    ],
    "billing:invoice_pdf": [
        (name, invoice(name), "", expect(CLIENT, PRO)) for name in ("soon", "refunded")
    ],
    "billing:pay": [
        ("open", invoice("soon"), "", expect(CLIENT)),
        ("paid: back to the bill", invoice("paid"), "", expect(CLIENT, status=302)),
    ],
    # The professional's records of a payment outside Tengja: POST only.
    "billing:mark_paid": [("", invoice("soon"), "", signed_in(405))],
    "billing:mark_paid_undo": [("", invoice("paid"), "", signed_in(405))],
    "billing:refund_returned": [("", invoice("refunded"), "", signed_in(405))],
    "billing:session_pay": [
        ("open: to paying it", booking("soon"), "", expect(CLIENT, status=302)),
        ("paid: to the bill", booking("paid"), "", expect(CLIENT, status=302)),
    ],
    # The professional's "Mark as done" and "Charge now": POST only.
    "billing:session_done": [("", booking("ended"), "", signed_in(405))],
    "billing:session_charge": [("", booking("late"), "", signed_in(405))],
    "billing:card_add": [("", NONE, "", signed_in(200))],
    "billing:card_update": [("", lambda w: {"code": w.card.code}, "", expect(CLIENT))],
    "billing:card_remove": [("", lambda w: {"code": w.card.code}, "", expect(CLIENT))],
    "billing:card_default": [("", lambda w: {"code": w.card.code}, "", signed_in(405))],
    "billing:local_authenticate": [
        ("", lambda w: {"intent_id": w.payment_waiting.provider_ref}, "", expect(CLIENT))
    ],
    "billing:stripe_webhook": [("", NONE, "", everyone(405))],
    "notifications:list": [("", NONE, "", signed_in(200))],
    "notifications:read_all": [("", NONE, "", signed_in(405))],
    "notifications:settings": [("", NONE, "", signed_in(200))],
    "notifications:feed_renew": [("", NONE, "", signed_in(405))],
    "notifications:open": [
        ("", lambda w: {"code": w.people[CLIENT].notifications.first().code}, "", signed_in(405)),
    ],
    "notifications:booking_ics": [
        ("", booking("soon"), "", expect(CLIENT, PRO)),
        ("invited", booking("invited"), "", expect(PRO)),
        ("with credits", booking("credits"), "", expect(MEMBER, PRO)),
    ],
    "notifications:feed": [
        (
            "",
            lambda w: {"user_id": w.people[CLIENT].pk, "token": w.tokens["feed"]},
            "",
            everyone(200),
        ),
        (
            "forged",
            lambda w: {"user_id": w.people[CLIENT].pk, "token": "forged"},
            "",
            everyone(404),
        ),
        ("huge id", lambda w: {"user_id": 10**30, "token": "forged"}, "", everyone(404)),
    ],
    "hubs:verify": [("", lambda w: {"token": w.tokens["hub_verify"]}, "", signed_in(200))],
    # A professional's answer to a hub that asked: POST only.
    **{
        name: [("", lambda w: {"code": w.hub.code}, "", signed_in(405))]
        for name in ("hubs:offer_accept", "hubs:offer_decline")
    },
    "hubs:credit_request": [
        ("", lambda w: {"booking_code": w.bookings["credits"].code}, "", signed_in(405))
    ],
    "hubs:find": [
        ("", NONE, "", everyone(200)),
        ("a link", NONE, "?link=https%3A%2F%2Ftengja.example%2Fhubs%2F{hub}%2F", everyone(302)),
        ("unknown", NONE, "?link=nowhere", everyone(400)),
        ("junk", NONE, "?link=%3Cscript%3E", everyone(400)),
    ],
    "hubs:hub": [
        ("", lambda w: {"code": w.hub.code}, "", everyone(200)),
        ("unknown", lambda w: {"code": "nowhere"}, "", everyone(404)),
    ],
    "hubs:join": [("", lambda w: {"code": w.hub.code}, "", everyone(200))],
    "hubs:browse": [
        ("", lambda w: {"code": w.hub.code}, "", {**expect(MEMBER), PENDING: 302}),
        (
            "filtered",
            lambda w: {"code": w.hub.code},
            "?within=7&language=is&specialty=x",
            {**expect(MEMBER), PENDING: 302},
        ),
    ],
    "hubs:offer": [
        (
            "",
            lambda w: {"code": w.hub.code, "professional_code": w.professional.code},
            "",
            {**expect(MEMBER), PENDING: 302},
        ),
    ],
    "hubs:review": [
        (
            "",
            lambda w: {"code": w.hub.code, "professional_code": w.professional.code},
            lambda w: "?starts_at=" + quote(offered_time(w).isoformat()),
            {**expect(MEMBER), PENDING: 302},
        ),
        (
            "no time",
            lambda w: {"code": w.hub.code, "professional_code": w.professional.code},
            "",
            {**expect(MEMBER, status=302), PENDING: 302},
        ),
    ],
    "hubs:admin": [("", lambda w: {"code": w.hub.code}, "", expect(HR))],
    # HR's changes: each its own address, POST only.
    **{
        name: [("", lambda w: {"code": w.hub.code}, "", everyone(405))]
        for name in (
            "hubs:admin_settings",
            "hubs:admin_domain_add",
            "hubs:admin_address_invite",
            "hubs:admin_member_remove",
            "hubs:admin_offer_set",
        )
    },
    "hubs:admin_domain_remove": [
        ("", lambda w: {"code": w.hub.code, "domain": "acme.test"}, "", everyone(405))
    ],
    "hubs:admin_offer_remove": [
        (
            "",
            lambda w: {"code": w.hub.code, "professional_code": w.professional.code},
            "",
            everyone(405),
        )
    ],
    **{
        name: [
            (
                "",
                lambda w: {"code": w.hub.code, "request_code": w.credit_request.code},
                "",
                everyone(405),
            )
        ]
        for name in ("hubs:admin_request_approve", "hubs:admin_request_decline")
    },
    "privacy:export_request": [("", NONE, "", signed_in(405))],
    "privacy:delete": [("", NONE, "", signed_in(200))],
    "privacy:deleted": [("", NONE, "", everyone(200))],
    "privacy:export_download": [
        # Someone else's link is as good as none: "this link cannot be used".
        ("", lambda w: {"token": w.tokens["data_export"]}, "", expect(CLIENT, others=400)),
        ("forged", lambda w: {"token": "forged"}, "", signed_in(400)),
    ],
    # The development mail reader exists only with DEBUG on; tests run with it off.
    "devmail:inbox": [("", NONE, "", everyone(404))],
    "devmail:message": [
        ("", lambda w: {"name": "20261124T000000000000-abcdef12.eml"}, "", everyone(404))
    ],
    "devmail:message_html": [
        ("", lambda w: {"name": "20261124T000000000000-abcdef12.eml"}, "", everyone(404))
    ],
}


def url_names(patterns=None, namespace: str = "") -> list[str]:
    """Every named URL of the project, walking the URL configuration."""
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            if (pattern.namespace or "") in NOT_REACHED:
                continue
            names += url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name or ""]))
            if pattern.name and name not in NOT_REACHED:
                names.append(name)
    return names


# ------------------------------------------------------------------ what "untranslated" means

# Common English words that never stand in Icelandic text. The test world's own
# data (names, session types, the hub) is Icelandic, so any of these on an
# Icelandic page is UI text that was not translated.
ENGLISH_WORDS = """the and your you with for this that are has have not from will when what which
    there here been more only after before please sign account session sessions credit
    credits cancel cancelled booking payment payments profile password email settings
    invoice upcoming professional professionals hours minutes week month today back next
    previous save remove change add join book open paid void refunded pending default card
    cards notifications unread read new all see use time free day days"""
ENGLISH = set(ENGLISH_WORDS.split())
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{\{|\{%|\bNone\b")
SHOWN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
DESCRIPTION = re.compile(r'<meta name="description" content="[^"<>]{40,200}">')


class VisibleText(HTMLParser):
    """The text a person sees or hears: text nodes and the attributes a screen
    reader reads out."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.parts: list[str] = []
        self.skip = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        # Not UI text: scripts, styles, and what the page itself marks as another
        # language (the language switch) or as names not to translate (time zones).
        skipped = (
            tag in ("script", "style")
            or attrs.get("lang", self.language) != self.language
            or attrs.get("translate") == "no"
        )
        if tag not in ("input", "img", "meta", "link", "br", "hr", "source"):
            self.stack.append(tag)
            self.skip += skipped
            if skipped:
                self.stack[-1] = "!" + tag
        for name, value in attrs.items():
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            top = self.stack.pop()
            if top.startswith("!"):
                self.skip -= 1
            if top.lstrip("!") == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, language: str) -> str:
    parser = VisibleText(language)
    parser.feed(html)
    return "\n".join(parser.parts)


def english_messages() -> list[str]:
    """The catalogue's English sentences whose Icelandic differs (several words long)."""
    path = Path(settings.BASE_DIR) / "locale" / "is" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as f:
        catalogue = read_po(f)
    out = []
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            if text and len(text.split()) >= 3 and "%" not in text and "<" not in text:
                out.append(text)
    return out


def untranslated(text: str, language: str, sentences: list[str]) -> list[str]:
    found = [f"placeholder {m.group(0)!r}" for m in PLACEHOLDER.finditer(text)]
    if language == "is":
        words = {w.lower() for w in WORD.findall(text)} & ENGLISH
        found += [f"English word {w!r}" for w in sorted(words)]
        found += [f"English sentence {s!r}" for s in sentences if s in text]
    return found


# ------------------------------------------------------------------ the matrix


# What a visitor sees of these is everyone's: browsers may keep it as they would.
PUBLIC_PAGES = {
    "health",
    "dashboard:home",
    "hubs:find",
    "hubs:hub",
    "hubs:join",
    "professionals:public",
    "accounts:terms",
}


def directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(",") if part.strip()}


def permissions(header: str) -> dict[str, str]:
    policy = {}
    for part in header.split(","):
        feature, _, allowlist = part.strip().partition("=")
        policy[feature] = allowlist
    return policy


def browser_policy_problems(who: str, name: str, arguments: dict, response) -> list[str]:
    """What a response lets browsers keep and use, where it should not.

    What shows a person's data is kept by no browser or proxy: a signed-in
    person's every response, and a secret link's (`token`), say private,
    no-store; public pages seen by a visitor keep their caching. Camera,
    microphone and screen sharing on the call page only; the other powerful
    features nowhere."""
    problems = []
    cache_control = directives(response.get("Cache-Control", ""))
    if who != VISITOR or "token" in arguments:
        if not {"private", "no-store"} <= cache_control:
            problems.append(f"Cache-Control {cache_control or None}")
    elif name in PUBLIC_PAGES and "no-store" in cache_control:
        problems.append("a public page says no-store")
    if "Permissions-Policy" not in response:
        return [*problems, "no Permissions-Policy"]
    policy = permissions(response["Permissions-Policy"])
    call = name == "video:join" and response.status_code == 200
    for feature in ("camera", "microphone", "display-capture"):
        if policy.get(feature) != ("(self)" if call else "()"):
            problems.append(f"{feature}={policy.get(feature)}")
    for feature in ("geolocation", "payment", "usb", "fullscreen", "browsing-topics"):
        if policy.get(feature) != "()":
            problems.append(f"{feature}={policy.get(feature)}")
    if "autoplay" in policy:  # the call plays the other person's video
        problems.append(f"autoplay={policy['autoplay']}")
    return problems


@pytest.fixture
def world(db, django_capture_on_commit_callbacks, settings) -> World:
    settings.DEBUG = False
    world = build_world(django_capture_on_commit_callbacks)
    sanity(world)
    return world


def test_every_named_page_has_a_place_in_the_matrix():
    names = set(url_names())
    assert names - set(PAGES) == set(), "add these pages to PAGES (or NOT_REACHED, with why)"
    assert set(PAGES) - names == set(), "these pages are gone: remove them from PAGES"


def test_every_page_for_every_person_in_every_language(world):
    sentences = english_messages()
    failures: list[str] = []
    requests = calls = 0
    for language in LANGUAGES:
        User.objects.update(language=language)
        for who in PEOPLE:
            client = Client(raise_request_exception=True)
            person = world.people[who]
            if person is None:
                client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            else:
                client.force_login(person)
            for name, variants in PAGES.items():
                for variant, kwargs, query, statuses in variants:
                    label = f"{name} {variant} as {who} in {language}".replace("  ", " ")
                    query = query(world) if callable(query) else query.format(hub=world.hub.code)
                    arguments = kwargs(world)
                    url = reverse(name, kwargs=arguments) + query
                    requests += 1
                    connection.queries_log.clear()  # a thousand requests: keep the log short
                    try:
                        with CaptureQueriesContext(connection) as queries:
                            response = client.get(url)
                    except Exception:
                        failures.append(f"{label}: {traceback.format_exc(limit=-3)}")
                        continue
                    if response.status_code != statuses[who]:
                        failures.append(
                            f"{label}: {response.status_code}, expected {statuses[who]}"
                        )
                        continue
                    if len(queries) > QUERY_BUDGET:
                        failures.append(f"{label}: {len(queries)} queries")
                    for problem in browser_policy_problems(who, name, arguments, response):
                        failures.append(f"{label}: {problem}")
                    calls += name == "video:join" and response.status_code == 200
                    # A visitor is sent to sign in (a valid reset link hides its token
                    # behind a redirect of its own).
                    location = response.get("Location", "")
                    if (
                        who == VISITOR
                        and response.status_code == 302
                        # ...and a hub's link pasted on the front door opens the hub.
                        and name not in ("accounts:password_reset_confirm", "hubs:find")
                        and not location.startswith(reverse("accounts:login"))
                    ):
                        failures.append(f"{label}: sent to {location!r}")
                    # A file (an export) is streamed: read it to the end.
                    content = (
                        b"".join(response.streaming_content)
                        if response.streaming
                        else response.content
                    )
                    if content and response["Content-Type"].startswith("text/html"):
                        body = content.decode()
                        assert f'<html lang="{language}">' in body, label
                        if not DESCRIPTION.search(body):
                            failures.append(f"{label}: no meta description")
                        for problem in untranslated(
                            visible_text(body, language), language, sentences
                        ):
                            failures.append(f"{label}: {problem}")
    pages = sum(len(variants) for variants in PAGES.values())
    print(
        f"\npage matrix: {pages} pages × {len(PEOPLE)} people × {len(LANGUAGES)} languages"
        f" = {requests} requests, {len(failures)} failures"
    )
    assert requests > 1000 and calls > 0  # the call page was seen as the call
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("language", LANGUAGES)
def test_unread_notifications_in_every_language_on_every_page(client, world, language):
    """The state that once took every page down: Icelandic, with unread notifications."""
    person = world.people[CLIENT]
    person.language = language
    person.save()
    client.force_login(person)
    unread = person.notifications.filter(read_at__isnull=True).count()
    assert unread > 1
    for name in (
        "dashboard:home",
        "billing:payments",
        "dashboard:calendar",
        "accounts:profile",
        "notifications:list",
        "accounts:terms",
    ):
        body = client.get(reverse(name)).content.decode()
        assert f'<span class="bell__count" aria-hidden="true">{unread}</span>' in body, name
        said = "ólesin" if language == "is" else "unread"
        assert f"{unread} {said}" in body, name


HOSTILE = ["x" * 5000, "ünicode-ðþæ", "..%2F..%2Fetc", "<script>", "0", " "]


def test_hostile_values_in_every_address_never_break_a_page(world):
    """Each code or token in an address replaced by junk: a 4xx, never a 500."""
    client = Client(raise_request_exception=True)
    client.force_login(world.people[CLIENT])
    tried = 0
    for name, variants in PAGES.items():
        kwargs = variants[0][1](world)
        for key in kwargs:
            for value in HOSTILE if isinstance(kwargs[key], str) else [0, 2**63, 10**40]:
                try:
                    url = reverse(name, kwargs={**kwargs, key: value})
                except NoReverseMatch:  # the URL pattern itself refuses the value
                    continue
                response = client.get(url)
                tried += 1
                assert response.status_code < 500, (name, key, value)
    assert tried > 100
