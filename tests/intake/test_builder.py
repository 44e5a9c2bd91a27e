"""The rules a form's fields keep, and the templates Tengja ships (issue 29)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tengja.intake.builder import (
    MAX_FIELDS,
    form_create,
    form_field_add,
    form_field_remove,
    form_from_template,
    validate_fields,
)
from tengja.intake.models import IntakeForm
from tengja.intake.templates_shipped import TEMPLATES
from tests.conftest import race, requires_postgres


def field(**changes) -> dict:
    return {"key": "q1", "kind": "short_text", "label": "Name?", "help": "", "required": True} | (
        changes
    )


@pytest.mark.parametrize(
    "fields",
    [
        [field()],
        [field(kind="long_text", help="x" * 1000)],
        [field(kind="choice", choices=["Yes, often", "Sometimes"])],
        [field(kind="scale", min=0, max=100)],
        [field(kind="scale", min=1, max=2)],
        [field(kind="date"), field(key="q2", kind="yes_no", required=False)],
        [field(label="x" * 300)],
        [field(key=f"q{n}") for n in range(MAX_FIELDS)],
        [],
    ],
)
def test_good_fields_pass(fields):
    assert validate_fields(fields) == fields


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ("junk", "could not be read"),
        ([field(kind="choice")], "needs its choices"),
        ([field(kind="choice", choices=[])], "at least two choices"),
        ([field(kind="choice", choices=["Only"])], "at least two choices"),
        ([field(kind="choice", choices=["A", " "])], "at least two choices"),
        ([field(kind="choice", choices=["A", "A"])], "twice"),
        ([field(kind="choice", choices=[str(n) for n in range(31)])], "at most 30"),
        ([field(kind="choice", choices=["A", "x" * 201])], "longer than 200"),
        ([field(choices=["A", "B"])], "only a choice question"),
        ([field(kind="scale", min=5, max=5)], "lower to a higher"),
        ([field(kind="scale", min=6, max=5)], "lower to a higher"),
        ([field(kind="scale", min=-1, max=5)], "lower to a higher"),
        ([field(kind="scale", min=0, max=101)], "lower to a higher"),
        ([field(kind="scale", min=0, max="10")], "whole numbers"),
        ([field(kind="scale", min=False, max=True)], "whole numbers"),
        ([field(kind="scale", min=0)], "whole numbers"),
        ([field(min=0, max=5)], "only a scale"),
        ([field(key=f"q{n}") for n in range(MAX_FIELDS + 1)], "at most 50 questions"),
        ([field(label="x" * 301)], "longer than 300"),
        ([field(label="  ")], "needs its text"),
        ([field(help="x" * 1001)], "longer than 1000"),
        ([field(kind="signature")], "no such kind"),
        ([field(key="Has Spaces")], "key"),
        ([field(key="")], "key"),
        ([field(), field()], "same key"),
        ([field(required="yes")], "yes or no"),
        ([field(extra=1)], "not a question"),
        (["a string"], "not a question"),
    ],
)
def test_bad_fields_are_refused_with_a_clear_reason(fields, says):
    with pytest.raises(ValidationError) as error:
        validate_fields(fields)
    assert says in error.value.messages[0]


@pytest.mark.parametrize("language", ["en", "is"])
@pytest.mark.parametrize("template", list(TEMPLATES))
def test_each_template_validates_in_each_language(template, language):
    with translation.override(language):
        shipped = TEMPLATES[template]()
    assert validate_fields(shipped["fields"]) == shipped["fields"]
    assert shipped["title"] and shipped["body"].strip()
    kinds = {f["kind"] for f in shipped["fields"]}
    if template == "general_intake":
        # Sensible kinds: not all text.
        assert {"long_text", "short_text", "choice", "scale", "yes_no", "date"} <= kinds


def test_templates_are_made_in_the_professionals_language(professional):
    professional.user.language = "is"
    professional.user.save()
    consent = form_from_template(professional=professional, template="telehealth_consent")
    assert consent.kind == IntakeForm.Kind.CONSENT and consent.version == 1
    assert consent.title == "Samþykki fyrir myndviðtölum"
    for needed in ("1717", "112", "upptök", "afturkalla", "trúnað", "sambandið rofnar"):
        assert needed in consent.body.lower(), needed
    intake = form_from_template(professional=professional, template="general_intake", language="en")
    assert intake.title == "Before our first session"
    assert "What brings you here?" in [f["label"] for f in intake.fields]
    english = form_from_template(
        professional=professional, template="telehealth_consent", language="en"
    )
    for needed in ("1717", "112", "record", "withdraw", "connection drops", "confidential"):
        assert needed in english.body, needed
    assert english.fields != consent.fields  # translated labels, same keys
    assert [f["key"] for f in english.fields] == [f["key"] for f in consent.fields]


def test_an_unknown_template_is_refused(professional):
    with pytest.raises(KeyError):
        form_from_template(professional=professional, template="nope")
    assert not IntakeForm.objects.exists()


def test_a_consent_needs_its_text(professional):
    with pytest.raises(ValidationError, match="text your client agrees to"):
        form_create(professional=professional, kind="consent", title="C", body="  \n ")
    assert not IntakeForm.objects.exists()


def test_a_removed_questions_key_is_never_used_again(professional):
    form = form_create(professional=professional, kind="intake", title="T")
    form = form_field_add(form=form, field=field(key="new"))
    first = form.fields[0]["key"]
    form = form_field_remove(form=form, key=first)
    form = form_field_add(form=form, field=field(key="new"))
    form = form_field_add(form=form, field=field(key="new"))
    keys = [f["key"] for f in form.fields]
    assert first not in keys and len(set(keys)) == 2
    assert form.version == 5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_changes_made_at_once_each_keep_the_other(professional):
    """Two questions added, one removed, at the same moment (two tabs): the row
    lock makes them one after another, each with its own version and key."""
    form = form_from_template(professional=professional, template="general_intake")
    first = form.fields[0]["key"]
    results = race(
        [
            lambda: form_field_add(form=form, field=field(key="new", label="A")),
            lambda: form_field_add(form=form, field=field(key="new", label="B")),
            lambda: form_field_remove(form=form, key=first),
        ]
    )
    assert all(isinstance(result, IntakeForm) for result in results), results
    form.refresh_from_db()
    labels = [f["label"] for f in form.fields]
    assert form.version == 4 and {"A", "B"} <= set(labels) and first not in str(form.fields)
    assert len(labels) == len(TEMPLATES["general_intake"]()["fields"]) + 1
    assert len({f["key"] for f in form.fields}) == len(form.fields)
