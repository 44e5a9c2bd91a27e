"""A professional's own terms and cancellation policy, in the reader's language:
`{% load policies %}{{ professional|policy }}` (Professional.policy_for)."""

from django import template
from django.utils import translation

from tengja.professionals.models import Professional

register = template.Library()


@register.filter
def policy(professional: Professional) -> str:
    return professional.policy_for(translation.get_language() or "en")
