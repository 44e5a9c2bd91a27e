from datetime import date

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tengja.billing.models import ManualMethod

MONTHS = [(m, f"{m:02d}") for m in range(1, 13)]


def year_choices() -> list[tuple[int, str]]:
    this_year = date.today().year
    return [(y, str(y)) for y in range(this_year, this_year + 16)]


def _blank(label) -> list[tuple[str, str]]:
    return [("", label)]


class ExpiryForm(forms.Form):
    """The expiry as printed on the card. Nothing is preselected: a default would be
    a date the person never chose (and this month of this year is soon past)."""

    exp_month = forms.TypedChoiceField(
        label=_("Expiry month"),
        choices=lambda: _blank(_("Month")) + MONTHS,
        coerce=int,
        error_messages={"required": _("Choose the month printed on your card.")},
    )
    exp_year = forms.TypedChoiceField(
        label=_("Expiry year"),
        choices=lambda: _blank(_("Year")) + year_choices(),
        coerce=int,
        error_messages={"required": _("Choose the year printed on your card.")},
    )


class LocalCardForm(ExpiryForm):
    """The local test provider's card form (Stripe's page uses Elements instead)."""

    number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        error_messages={"required": _("Enter your card number.")},
    )
    cvc = forms.CharField(
        label=_("Security code (CVC)"),
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the 3 or 4 digits on the back of your card.")},
    )

    field_order = ["number", "exp_month", "exp_year", "cvc"]


class MarkDoneForm(forms.Form):
    """Mark a session done and, for one whose bill is open, what becomes of it."""

    NOW, LATER, SKIP = "now", "later", "skip"

    payment = forms.ChoiceField(
        choices=[(NOW, _("Charge now")), (LATER, _("Charge later")), (SKIP, _("Skip payment"))],
        required=False,
    )
    reason = forms.CharField(
        max_length=200,
        required=False,
        error_messages={"max_length": _("Say why in at most %(limit_value)d characters.")},
    )
    payment_key = forms.CharField(max_length=32, required=False)

    def __init__(self, *args, bill_open: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bill_open = bill_open

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.bill_open:
            data["payment"] = self.LATER  # nothing to charge: just done
        elif not data.get("payment"):
            self.add_error("payment", _("Choose what happens to the payment."))
        elif data["payment"] == self.SKIP and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why you are not charging for this session."))
        return data


class ManualPaymentForm(forms.Form):
    """A professional's record that the client paid them outside Tengja. The date
    is checked against the bill by the service (billing.manual), which knows the
    professional's today; here only that it is a date."""

    method = forms.ChoiceField(
        label=_("How the client paid"),
        choices=[(value, capfirst(label)) for value, label in ManualMethod.choices if value],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the client paid.")},
    )
    paid_on = forms.DateField(
        label=_("Date paid"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date the client paid."),
            "invalid": _("Enter the date the client paid as year-month-day, e.g. 2026-12-03."),
        },
    )
    reference = forms.CharField(
        label=_("Reference (optional)"),
        max_length=100,
        required=False,
        help_text=_("For example the transfer's reference or a receipt number."),
    )
    form_key = forms.CharField(widget=forms.HiddenInput)
