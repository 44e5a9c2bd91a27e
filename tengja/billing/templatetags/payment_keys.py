"""`{% load payment_keys %}{% new_payment_key as key %}`: a pay form's idempotency
key (billing.services.new_payment_key), for forms on pages of apps that do not
import billing (the session page, the call page)."""

from django import template

from tengja.billing.services import new_payment_key as _new_payment_key

register = template.Library()


@register.simple_tag
def new_payment_key() -> str:
    return _new_payment_key()
