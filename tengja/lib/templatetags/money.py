from django import template

from tengja.lib.money import money_format

register = template.Library()


@register.simple_tag(name="money")
def money_tag(amount: int, currency: str) -> str:
    return money_format(amount, currency)
