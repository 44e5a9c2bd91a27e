"""The Django form a client fills in, built from the fields of a response's
snapshot (IntakeForm.fields), and the answers as they are stored (JSON: text,
an integer for a scale, an ISO date, "yes" or "no").

Only the snapshot's keys are read: anything else posted is ignored, and a value
outside a field's choices, range or format is an error that saves nothing.
"""

from datetime import date
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tengja.intake.models import FormResponse, IntakeForm
from tengja.intake.responses import name_matches

Kind = IntakeForm.FieldKind
SHORT_MAX = 500
LONG_MAX = 5000
YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _scale_bounds(spec: dict) -> tuple[int, int]:
    try:
        low, high = int(spec.get("min") or 0), int(spec.get("max") or 10)
    except (TypeError, ValueError):
        low, high = 0, 10
    return (low, high) if low <= high else (high, low)


def _field_for(spec: dict, strict: bool) -> forms.Field:
    kind = spec.get("kind")
    options: dict[str, Any] = {
        "label": spec.get("label") or spec.get("key"),
        "help_text": spec.get("help") or "",
        # A draft keeps whatever is there; sending or signing wants every required answer.
        "required": strict and bool(spec.get("required")),
    }
    if kind == Kind.LONG_TEXT:
        return forms.CharField(max_length=LONG_MAX, widget=forms.Textarea, **options)
    if kind == Kind.CHOICE:
        choices = [(str(c), str(c)) for c in spec.get("choices") or []]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **options)
    if kind == Kind.SCALE:
        low, high = _scale_bounds(spec)
        return forms.TypedChoiceField(
            choices=[(str(n), str(n)) for n in range(low, high + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            **options,
        )
    if kind == Kind.DATE:
        return forms.DateField(widget=DateInput, **options)
    if kind == Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **options)
    return forms.CharField(max_length=SHORT_MAX, **options)


class AnswersForm(forms.Form):
    """The snapshot's fields, in order, prefixed "a-" (so no key clashes with the
    page's own inputs); `strict` checks required answers (sending, signing)."""

    prefix = "a"

    def __init__(self, *args, response: FormResponse, strict: bool = False, **kwargs) -> None:
        self.specs = [
            spec
            for spec in response.snapshot.get("fields") or []
            if isinstance(spec, dict) and spec.get("key")
        ]
        initial = {}
        for spec in self.specs:
            value = response.answers.get(spec["key"])
            if value not in (None, ""):
                initial[spec["key"]] = str(value) if spec.get("kind") == Kind.SCALE else value
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for spec in self.specs:
            field = _field_for(spec, strict)
            if spec.get("required"):
                # Marked whether or not this step checks it: a draft may be saved half done.
                field.label = format_lazy("{} ({})", field.label, _("required"))
                field.widget.attrs["aria-required"] = "true"
            self.fields[spec["key"]] = field

    def answers(self) -> dict:
        """The cleaned answers as stored (only after is_valid); empty ones left out."""
        stored: dict = {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec["key"])
            if value in (None, ""):
                continue
            stored[spec["key"]] = value.isoformat() if isinstance(value, date) else value
        return stored


class SignForm(forms.Form):
    """The full name typed to sign a consent: the account's own name."""

    signed_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, name: str, **kwargs) -> None:
        self.name = name
        super().__init__(*args, **kwargs)

    def clean_signed_name(self) -> str:
        typed = self.cleaned_data["signed_name"]
        if not name_matches(typed, self.name):
            raise forms.ValidationError(
                _("Type your full name as it is on your account: %(name)s."),
                params={"name": self.name},
                code="name",
            )
        return typed


def answer_rows(response: FormResponse) -> list[tuple[dict, str]]:
    """Each question of the snapshot with its answer as text (for pages and the PDF)."""
    labels = dict(YES_NO)
    rows = []
    for spec in response.snapshot.get("fields") or []:
        if not isinstance(spec, dict):
            continue
        value = response.answers.get(spec.get("key"), "")
        if spec.get("kind") == Kind.YES_NO and value in labels:
            value = labels[value]
        elif spec.get("kind") == Kind.SCALE and value != "":
            low, high = _scale_bounds(spec)
            value = f"{value} ({low}–{high})"
        rows.append((spec, str(value)))
    return rows
