"""Measures on pages other apps draw: the professional's client page and Home.

Template tags, so that the dashboard's views stay as they are and each page
gets one include."""

from django import template

from tengja.accounts.models import User
from tengja.measures.models import MeasureRequest
from tengja.measures.selectors import (
    flagged,
    flags_in,
    home_for_client,
    professional_series,
    requests_of_client,
)
from tengja.professionals.models import Professional

register = template.Library()


@register.inclusion_tag("measures/client_card.html", takes_context=True)
def client_measures(context: template.Context, professional: Professional, client: User) -> dict:
    """On the professional's page for a client: flags, scores over time, what
    they ask, and the form to send a questionnaire."""
    series = professional_series(professional=professional, client=client)
    return {
        "client": client,
        "professional": professional,
        "flags": flags_in(series, professional=professional),
        "series": series,
        "asked": requests_of_client(professional=professional, client=client),
        "instruments": MeasureRequest.Instrument.choices,
        "modes": MeasureRequest.Mode.choices,
        "csrf_token": context.get("csrf_token"),
        "TIME_ZONE": context.get("TIME_ZONE"),
        "next": _here(context),
    }


@register.inclusion_tag("measures/home_card.html", takes_context=True)
def measures_home(context: template.Context) -> dict:
    """Home: the questionnaires waiting for the person, and for a professional,
    the clients whose answer to PHQ-9 item 9 needs their attention."""
    user = context["user"]
    if not user.is_authenticated:
        return {}
    professional = context.get("professional")
    # Home says whether they were ever sent one (its header's query knows): most
    # people were not, and then nothing is asked.
    if context.get("was_sent_measures", True):
        waiting, asked = home_for_client(client=user)
    else:
        waiting, asked = [], False
    return {
        "waiting": waiting,
        # Once something was asked of them, a way back to their scores.
        "has_measures": asked,
        "flags": flagged(professional=professional) if professional else [],
        "csrf_token": context.get("csrf_token"),
        "next": _here(context),
    }


def _here(context: template.Context) -> str:
    """Where "Mark as seen" comes back to: the page it was pressed on."""
    request = context.get("request")
    return request.get_full_path() if request is not None else ""
