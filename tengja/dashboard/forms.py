from datetime import date
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tengja.bookings.models import Booking
from tengja.dashboard.activities import Filters


class ActivityFilterForm(forms.Form):
    """The activities' filters, from the query string: each optional. A client
    or type not among the professional's own is refused like any bad value."""

    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any state")), *Booking.State.choices], required=False
    )
    client = forms.ChoiceField(label=_("Client"), required=False)
    type = forms.ChoiceField(label=_("Session type"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self,
        data,
        *,
        clients: list[tuple[int, str, str]],
        session_types: list[tuple[int, str, str]],
    ) -> None:
        """`clients` and `session_types` as (pk, code, label): the choices carry
        the code, the filter the key."""
        super().__init__(data)
        self._clients = {code: pk for pk, code, _label in clients}
        self._types = {code: pk for pk, code, _label in session_types}
        cast(forms.ChoiceField, self.fields["client"]).choices = [
            ("", _("Any client")),
            *((code, label) for _pk, code, label in clients),
        ]
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("Any type")),
            *((code, label) for _pk, code, label in session_types),
        ]

    def clean_since(self) -> date | None:
        return self._in_range(self.cleaned_data["since"])

    def clean_until(self) -> date | None:
        return self._in_range(self.cleaned_data["until"])

    @staticmethod
    def _in_range(day: date | None) -> date | None:
        if day is not None and not 1900 <= day.year <= 2200:
            raise forms.ValidationError(_("Enter a date between 1900 and 2200."))
        return day

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day comes before the first."))
        return data

    def filters(self) -> Filters:
        """The valid form's filters (every one empty for an invalid form: see the view)."""
        data = self.cleaned_data
        return Filters(
            state=data["state"],
            client_id=self._clients.get(data["client"]),
            session_type_id=self._types.get(data["type"]),
            since=data["since"],
            until=data["until"],
        )
