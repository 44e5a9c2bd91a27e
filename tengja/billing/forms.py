from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

MONTHS = [(m, f"{m:02d}") for m in range(1, 13)]


def year_choices() -> list[tuple[int, str]]:
    this_year = date.today().year
    return [(y, str(y)) for y in range(this_year, this_year + 16)]


class LocalCardForm(forms.Form):
    """The local test provider's card form (Stripe's page uses Elements instead)."""

    number = forms.CharField(
        label=_("Card number"), max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )  # fmt: skip
    exp_month = forms.TypedChoiceField(label=_("Expiry month"), choices=MONTHS, coerce=int)
    exp_year = forms.TypedChoiceField(label=_("Expiry year"), choices=year_choices, coerce=int)
    cvc = forms.CharField(
        label=_("Security code (CVC)"), max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )  # fmt: skip


class ExpiryForm(forms.Form):
    exp_month = forms.TypedChoiceField(label=_("Expiry month"), choices=MONTHS, coerce=int)
    exp_year = forms.TypedChoiceField(label=_("Expiry year"), choices=year_choices, coerce=int)
