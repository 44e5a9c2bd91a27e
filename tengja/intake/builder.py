"""The professional's side of intake forms and consent: the rules a form's
fields keep, and every change a professional makes to their forms.

A form's `fields` (IntakeForm's docstring) is read by the client's side as it
is stored, so nothing is written that `validate_fields` has not accepted. Every
saved change bumps the form's version; a response keeps its own snapshot of
the form it answered, so a change never alters what was answered or signed.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from tengja.intake.models import FormResponse, IntakeForm
from tengja.intake.templates_shipped import TEMPLATES
from tengja.professionals.models import Professional, SessionType

MAX_FIELDS = 50
LABEL_MAX = 300
HELP_MAX = 1000
MAX_CHOICES = 30
CHOICE_MAX = 200
SCALE_LOWEST, SCALE_HIGHEST = 0, 100
# A short slug: a template's own ("reason"), or "q<version>" for a field added
# in the editor (see _new_key).
KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
FIELD_KEYS = {"key", "kind", "label", "help", "required", "choices", "min", "max"}

Kind = IntakeForm.FieldKind


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_field(field: Any, number: int | None = None) -> dict:
    """One field, as stored; raises ValidationError saying why, and which question
    is wrong when given its `number` (counting from 1, as the editor shows them)."""

    def refuse(message: str) -> ValidationError:
        if number is None:
            return ValidationError(message[:1].upper() + message[1:])
        return ValidationError(
            _("Question %(number)s: %(problem)s") % {"number": number, "problem": message}
        )

    if not isinstance(field, dict) or set(field) - FIELD_KEYS:
        raise refuse(_("it is not a question Tengja knows."))
    key, kind = field.get("key"), field.get("kind")
    if not isinstance(key, str) or not KEY.match(key):
        raise refuse(_("its key is not a short name of small letters and digits."))
    if kind not in Kind.values:
        raise refuse(_("there is no such kind of question."))
    label, help_text = field.get("label"), field.get("help", "")
    if not isinstance(label, str) or not label.strip():
        raise refuse(_("the question needs its text."))
    if len(label) > LABEL_MAX:
        raise refuse(_("the question is longer than %(max)s characters.") % {"max": LABEL_MAX})
    if not isinstance(help_text, str) or len(help_text) > HELP_MAX:
        raise refuse(_("the help text is longer than %(max)s characters.") % {"max": HELP_MAX})
    if not isinstance(field.get("required", False), bool):
        raise refuse(_("whether an answer is required must be yes or no."))
    clean: dict[str, Any] = {
        "key": key,
        "kind": Kind(kind).value,
        "label": label.strip(),
        "help": help_text.strip(),
        "required": field.get("required", False),
    }
    if kind == Kind.CHOICE:
        choices = field.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise refuse(_("a choice question needs its choices."))
        choices = [c.strip() for c in choices]
        if len(choices) < 2 or not all(choices):
            raise refuse(_("a choice question needs at least two choices."))
        if len(choices) > MAX_CHOICES:
            raise refuse(_("a question may have at most %(max)s choices.") % {"max": MAX_CHOICES})
        if any(len(c) > CHOICE_MAX for c in choices):
            raise refuse(_("a choice is longer than %(max)s characters.") % {"max": CHOICE_MAX})
        if len(set(choices)) != len(choices):
            raise refuse(_("the same choice is there twice."))
        clean["choices"] = choices
    elif "choices" in field:
        raise refuse(_("only a choice question has choices."))
    if kind == Kind.SCALE:
        low: Any = field.get("min")
        high: Any = field.get("max")
        if not (_is_int(low) and _is_int(high)):
            raise refuse(_("a scale needs whole numbers for its lowest and highest points."))
        if not SCALE_LOWEST <= low < high <= SCALE_HIGHEST:
            raise refuse(
                _("a scale goes from a lower to a higher number, between %(low)s and %(high)s.")
                % {"low": SCALE_LOWEST, "high": SCALE_HIGHEST}
            )
        clean["min"], clean["max"] = low, high
    elif "min" in field or "max" in field:
        raise refuse(_("only a scale has a lowest and highest point."))
    return clean


def validate_fields(fields: Any) -> list[dict]:
    """A form's whole list of fields, cleaned, or ValidationError."""
    if not isinstance(fields, list):
        raise ValidationError(_("The questions could not be read."))
    if len(fields) > MAX_FIELDS:
        raise ValidationError(_("A form may have at most %(max)s questions.") % {"max": MAX_FIELDS})
    clean = [validate_field(field, number) for number, field in enumerate(fields, 1)]
    keys = [field["key"] for field in clean]
    if len(set(keys)) != len(keys):
        raise ValidationError(_("Two questions have the same key."))
    return clean


def validate_body(*, kind: str, body: str) -> None:
    if kind == IntakeForm.Kind.CONSENT and not body.strip():
        raise ValidationError(_("A consent needs the text your client agrees to."))


# ------------------------------------------------------------------ reads


def forms_for_professional(*, professional: Professional) -> QuerySet[IntakeForm]:
    """The forms page: each form with how many clients completed it (submitted
    or signed), counted in the same query, and the session types requiring it."""
    return (
        professional.intake_forms.annotate(
            completed=Count(
                "responses",
                filter=~Q(responses__state=FormResponse.State.DRAFT),
                distinct=True,
            )
        )
        .prefetch_related("session_types")
        .order_by("title", "pk")
    )


def form_for_professional(*, professional: Professional, code: str) -> IntakeForm:
    """The professional's own form; 404 for anyone else's."""
    return get_object_or_404(IntakeForm, professional=professional, code=code)


def form_has_responses(*, form: IntakeForm) -> bool:
    return form.responses.exists()


# ------------------------------------------------------------------ writes


def _locked(form: IntakeForm) -> IntakeForm:
    """The form's row, locked until the transaction ends: two changes made at once
    each see the other's fields, and each gets a version of its own."""
    return IntakeForm.objects.select_for_update().get(pk=form.pk)


def _save(form: IntakeForm, *, fields: Any = None) -> IntakeForm:
    if fields is not None:
        form.fields = validate_fields(fields)
    form.version += 1
    form.updated_at = timezone.now()
    form.save()
    return form


def form_create(
    *, professional: Professional, kind: str, title: str, body: str = "", fields: Any = ()
) -> IntakeForm:
    validate_body(kind=kind, body=body)
    clean = validate_fields(list(fields))
    return IntakeForm.objects.create(
        professional=professional, kind=kind, title=title, body=body, fields=clean
    )


def form_from_template(
    *, professional: Professional, template: str, language: str | None = None
) -> IntakeForm:
    """A new form from one Tengja ships, written in the professional's language
    (or `language`). Raises KeyError for a template that does not exist."""
    make = TEMPLATES[template]
    with override(language or professional.user.language):
        shipped = make()
    return form_create(professional=professional, **shipped)


def form_update(
    *,
    form: IntakeForm,
    title: str,
    body: str,
    is_active: bool,
    session_types: list[SessionType],
) -> IntakeForm:
    """Title, text, in use, and which of the professional's session types require
    it. Session types of another professional are refused."""
    if any(kind.professional_id != form.professional_id for kind in session_types):
        raise ValidationError(_("You can only require a form for your own session types."))
    validate_body(kind=form.kind, body=body)
    with transaction.atomic():
        locked = _locked(form)
        required = set(locked.session_types.values_list("pk", flat=True))
        if (locked.title, locked.body, locked.is_active) == (title, body, is_active) and (
            required == {kind.pk for kind in session_types}
        ):
            return locked  # saved as it was: no new version
        locked.title, locked.body, locked.is_active = title, body, is_active
        _save(locked)
        locked.session_types.set(session_types)
    return locked


def _new_key(form: IntakeForm) -> str:
    """A key never used in this form before: versions only go up, so a key of a
    removed question never comes back."""
    keys = {field["key"] for field in form.fields}
    key = f"q{form.version + 1}"
    while key in keys:  # a template's own key that looks like one
        key += "x"
    return key


def form_field_add(*, form: IntakeForm, field: dict) -> IntakeForm:
    with transaction.atomic():
        locked = _locked(form)
        if len(locked.fields) >= MAX_FIELDS:
            raise ValidationError(
                _("A form may have at most %(max)s questions.") % {"max": MAX_FIELDS}
            )
        return _save(locked, fields=[*locked.fields, {**field, "key": _new_key(locked)}])


def _index(form: IntakeForm, key: str) -> int:
    for index, field in enumerate(form.fields):
        if field.get("key") == key:
            return index
    raise KeyError(key)


def form_field_change(*, form: IntakeForm, key: str, field: dict) -> IntakeForm:
    """A question's text, help, whether required, and its choices or scale; its
    key and kind stay."""
    with transaction.atomic():
        locked = _locked(form)
        index = _index(locked, key)
        fields = list(locked.fields)
        changed = validate_field({**field, "key": key, "kind": fields[index]["kind"]})
        if changed == fields[index]:
            return locked  # saved as it was: no new version
        fields[index] = changed
        return _save(locked, fields=fields)


def form_field_move(*, form: IntakeForm, key: str, step: int) -> IntakeForm:
    """Up (-1) or down (+1) one place; at the top or bottom already, nothing changes."""
    with transaction.atomic():
        locked = _locked(form)
        index = _index(locked, key)
        other = index + step
        if not 0 <= other < len(locked.fields):
            return locked
        fields = list(locked.fields)
        fields[index], fields[other] = fields[other], fields[index]
        return _save(locked, fields=fields)


def form_field_remove(*, form: IntakeForm, key: str) -> IntakeForm:
    with transaction.atomic():
        locked = _locked(form)
        index = _index(locked, key)
        return _save(locked, fields=[f for i, f in enumerate(locked.fields) if i != index])


def form_delete(*, form: IntakeForm) -> bool:
    """Delete a form nobody has answered. One with responses is only taken out of
    use: its answers and signatures are clinical records. True if deleted."""
    with transaction.atomic():
        locked = _locked(form)
        if locked.responses.exists():
            if locked.is_active:
                locked.is_active = False
                _save(locked)
            return False
        locked.delete()
        return True
