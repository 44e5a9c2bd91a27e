"""Money is an integer amount of minor units and an ISO 4217 code; one helper formats it."""

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision
from django.utils import translation

CURRENCIES = [("ISK", "ISK"), ("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP")]

LETTERS_THEN_DIGIT = re.compile(r"^([A-Za-z]+)(\d)")

# Our language codes to the Babel locale whose conventions they follow.
LOCALES = {"en": "en_GB", "is": "is_IS"}


def money_format(amount: int, currency: str, *, language: str | None = None) -> str:
    """`money_format(15000, "ISK")` is "ISK 15,000" in English, "15.000 kr." in Icelandic."""
    language = language or translation.get_language() or "en"
    return _format(amount, currency, LOCALES.get(language.split("-")[0], "en_GB"))


@lru_cache(maxsize=4096)
def _format(amount: int, currency: str, locale: str) -> str:
    """Babel takes about 50 µs a price; a calendar shows hundreds, mostly the same."""
    value = money_to_major(amount, currency)
    text = format_currency(value, currency, locale=locale, currency_digits=True)
    # CLDR's currency spacing, which Babel leaves out: "ISK15,000" becomes "ISK 15,000".
    return LETTERS_THEN_DIGIT.sub("\\1\u00a0\\2", text)


def money_to_minor(value: Decimal, currency: str) -> int:
    """12.5 EUR -> 1250; ValueError when the currency has fewer decimals (ISK has none)."""
    minor = value.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise ValueError("too many decimals for the currency")
    return int(minor)


def money_to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-get_currency_precision(currency))
