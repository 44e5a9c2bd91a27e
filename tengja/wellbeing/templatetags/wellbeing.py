"""The wellbeing parts of pages other apps draw: Home, a professional's client
page and hubs page, and HR's hub page.

Template tags, as tengja.measures does, so those apps' views stay as they are
and each page gets one line. For HR's page this is also what keeps the layers:
tengja.hubs may not import tengja.wellbeing (which sits above it), and a tag
looked up by the template is no import; the figures are worked out here, in
wellbeing's selectors, under the same rules as hub_usage."""

from django import template

from tengja.accounts.models import User
from tengja.hubs.models import Hub
from tengja.professionals.models import Professional
from tengja.wellbeing.selectors import (
    hub_wellbeing_kept,
    hubs_answered,
    professional_alliance,
    ratings_due,
    shared_with,
    who5_due,
    who5_series,
)

register = template.Library()


@register.inclusion_tag("wellbeing/home_card.html", takes_context=True)
def wellbeing_home(context: template.Context) -> dict:
    """Home: the hubs whose Wellbeing Index is due, and hub sessions to rate. Home
    has read the person's memberships already (none, without a query, for someone
    in no hub): only an active member is asked, so nobody else costs a query."""
    user = context["user"]
    memberships = context.get("memberships")
    if not user.is_authenticated or not memberships:
        return {}
    if not any(m.is_active for m in memberships):
        return {}
    return {
        "who5": who5_due(user=user, memberships=list(memberships)),
        "to_rate": ratings_due(user=user),
    }


@register.inclusion_tag("wellbeing/profile_card.html", takes_context=True)
def wellbeing_profile(context: template.Context) -> dict:
    """On the profile: a lasting way to the member's own answers and shares, in
    every hub where they answered (one query), even after they left it."""
    return {"hubs": hubs_answered(user=context["user"])}


@register.inclusion_tag("wellbeing/client_card.html")
def client_wellbeing(professional: Professional, client: User) -> dict:
    """On the professional's client page: the client's index, if shared with them."""
    checkins = shared_with(professional=professional, client=client)
    return {"checkins": checkins, "series": who5_series(checkins)}


@register.inclusion_tag("wellbeing/practice_card.html")
def practice_alliance(professional: Professional) -> dict:
    return {"alliance": professional_alliance(professional=professional)}


@register.inclusion_tag("wellbeing/hr.html", takes_context=True)
def hub_wellbeing(context: template.Context, hub: Hub) -> dict:
    return {"figures": hub_wellbeing_kept(hub=hub), "LANGUAGE_CODE": context.get("LANGUAGE_CODE")}
