"""The forms of the form editor: a form's details, one question, a new form."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tengja.intake.builder import (
    CHOICE_MAX,
    HELP_MAX,
    LABEL_MAX,
    MAX_CHOICES,
    SCALE_HIGHEST,
    SCALE_LOWEST,
    validate_body,
    validate_field,
)
from tengja.intake.models import IntakeForm
from tengja.professionals.models import Professional, SessionType

Kind = IntakeForm.FieldKind


class SessionTypeChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: SessionType) -> str:
        if obj.is_active:
            return obj.name
        return _("%(name)s (not offered)") % {"name": obj.name}


class FormDetailsForm(forms.Form):
    """Title, text, which session types require it, in use. The session types
    offered are the professional's own: another's code is "not one of the choices"."""

    title = forms.CharField(label=pgettext_lazy("form", "Title"), max_length=150)
    body = forms.CharField(
        label=_("Introduction"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    session_types = SessionTypeChoices(
        label=_("Required before the first session of"),
        queryset=SessionType.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("A form out of use is asked of nobody; answers given stay."),
    )

    def __init__(self, *args: Any, professional: Professional, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        field = self.fields["session_types"]
        assert isinstance(field, SessionTypeChoices)
        field.queryset = professional.session_types.order_by("name")
        if kind == IntakeForm.Kind.CONSENT:
            self.fields["body"].label = _("The text your client agrees to")
            self.fields["body"].required = True
            self.fields["body"].widget.attrs["rows"] = 16
        else:
            self.fields["body"].help_text = _("Shown above the questions.")

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        validate_body(kind=self.kind, body=body)
        return body


class NewFormForm(forms.Form):
    """A blank form: its kind, title, and (a consent's) text."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=IntakeForm.Kind.choices,
        widget=forms.RadioSelect,
        initial=IntakeForm.Kind.INTAKE,
    )
    title = forms.CharField(label=pgettext_lazy("form", "Title"), max_length=150)
    body = forms.CharField(
        label=_("Text"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "For a consent, the text your client agrees to; for an intake form, an introduction."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "kind" in data and "body" in data:
            data["body"] = data["body"].replace("\r\n", "\n")
            try:
                validate_body(kind=data["kind"], body=data["body"])
            except ValidationError as error:
                self.add_error("body", error)
        return data


class FieldForm(forms.Form):
    """One question, with the inputs its kind needs: choices for a choice, the
    lowest and highest points for a scale. A new question says its kind (a
    hidden input: a kind Tengja does not know is refused)."""

    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.HiddenInput)
    label = forms.CharField(label=_("Question"), max_length=LABEL_MAX)
    help = forms.CharField(
        label=_("Help text"),
        max_length=HELP_MAX,
        required=False,
        help_text=_("Shown under the question (optional)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    choices = forms.CharField(
        label=_("Choices, one a line"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At least two, at most %(max)s.") % {"max": MAX_CHOICES},
    )
    min = forms.IntegerField(
        label=_("Lowest point"), min_value=SCALE_LOWEST, max_value=SCALE_HIGHEST, initial=0
    )
    max = forms.IntegerField(
        label=_("Highest point"), min_value=SCALE_LOWEST, max_value=SCALE_HIGHEST, initial=10
    )

    def __init__(self, *args: Any, kind: str, new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_kind = kind
        if not new:
            del self.fields["kind"]
        if kind != Kind.CHOICE:
            del self.fields["choices"]
        if kind != Kind.SCALE:
            del self.fields["min"], self.fields["max"]

    @property
    def kind_label(self) -> str:
        return str(Kind(self.question_kind).label) if self.question_kind in Kind.values else ""

    def clean_choices(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["choices"].splitlines()]
        choices = [line for line in lines if line]
        if any(len(choice) > CHOICE_MAX for choice in choices):
            raise ValidationError(
                _("A choice may be at most %(max)s characters.") % {"max": CHOICE_MAX}
            )
        return choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        field: dict[str, Any] = {
            "key": "new",
            "kind": self.question_kind,
            "label": data["label"],
            "help": data["help"].replace("\r\n", "\n"),
            "required": data["required"],
        }
        if self.question_kind == Kind.CHOICE:
            field["choices"] = data["choices"]
        if self.question_kind == Kind.SCALE:
            field["min"], field["max"] = data["min"], data["max"]
        self.field = validate_field(field)
        return data

    @staticmethod
    def initial_for(field: dict) -> dict[str, Any]:
        return {
            "label": field["label"],
            "help": field.get("help", ""),
            "required": field.get("required", False),
            "choices": "\n".join(field.get("choices", [])),
            "min": field.get("min"),
            "max": field.get("max"),
        }
