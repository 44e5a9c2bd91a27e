"""The notes on the session page and the client page: `{% load notes %}`.

Template tags, so that bookings' and dashboard's pages show them without those
apps importing notes (the layers of tests/bookings/test_events.py). Only the
session's professional sees anything: for anyone else the tag renders nothing."""

from django import template

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.notes.forms import StartForm
from tengja.notes.selectors import notes_of_client, notes_of_session, template_choices
from tengja.professionals.models import Professional

register = template.Library()


@register.inclusion_tag("notes/session_notes.html", takes_context=True)
def session_notes(context: template.Context, booking: Booking) -> dict:
    user = context["user"]
    mine = (
        user.is_authenticated
        and booking.professional.user_id == user.pk
        and booking.client_id is not None
        and booking.client_is_known
    )
    if not mine:
        return {"shown": False}
    return {
        "shown": True,
        "booking": booking,
        "notes": notes_of_session(booking=booking),
        "start": StartForm(
            choices=template_choices(professional=booking.professional),
            auto_id="session-note-%s",
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("notes/client_notes.html", takes_context=True)
def client_notes(context: template.Context, professional: Professional, client: User) -> dict:
    return {
        "client": client,
        "notes": notes_of_client(professional=professional, client=client),
        "start": StartForm(
            choices=template_choices(professional=professional), auto_id="client-note-%s"
        ),
        "csrf_token": context.get("csrf_token"),
    }
