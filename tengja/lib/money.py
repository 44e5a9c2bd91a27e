"""Money is an integer amount of minor units and an ISO 4217 code; one helper formats it."""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from django.utils import translation

CURRENCIES = [("ISK", "ISK"), ("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP")]

# Our language codes to the Babel locale whose conventions they follow.
LOCALES = {"en": "en_GB", "is": "is_IS"}


def money_format(amount: int, currency: str, *, language: str | None = None) -> str:
    """`money_format(15000, "ISK")` is "ISK 15,000" in English, "15.000 ISK" in Icelandic."""
    language = language or translation.get_language() or "en"
    locale = LOCALES.get(language.split("-")[0], "en_GB")
    precision = get_currency_precision(currency)
    value = Decimal(amount).scaleb(-precision)
    return format_currency(value, currency, locale=locale, currency_digits=True)
