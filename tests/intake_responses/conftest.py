"""Forms and sessions for the tests of a client's answers (tengja.intake.responses)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.intake.models import IntakeForm
from tests.factories import BookingFactory, SessionTypeFactory

CONSENT_BODY = "Ég samþykki fjarmeðferð um myndsímtal. Þagnarskylda gildir."
INTAKE_FIELDS = [
    {"key": "name", "kind": "short_text", "label": "Fullt nafn", "help": "", "required": True},
    {"key": "story", "kind": "long_text", "label": "Saga", "help": "Stutt", "required": False},
    {
        "key": "mood",
        "kind": "choice",
        "label": "Líðan",
        "help": "",
        "required": True,
        "choices": ["Góð", "Slæm"],
    },
    {"key": "sleep", "kind": "scale", "label": "Svefn", "required": False, "min": 1, "max": 5},
    {"key": "born", "kind": "date", "label": "Fæðingardagur", "required": False},
    {"key": "before", "kind": "yes_no", "label": "Áður í meðferð?", "required": False},
]
CONSENT_FIELDS = [
    {"key": "video_ok", "kind": "yes_no", "label": "Má nota myndsímtal?", "required": True},
]


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Fjarviðtal")


@pytest.fixture
def consent(professional, kind):
    form = IntakeForm.objects.create(
        professional=professional,
        kind=IntakeForm.Kind.CONSENT,
        title="Samþykki fyrir fjarmeðferð",
        body=CONSENT_BODY,
        fields=CONSENT_FIELDS,
    )
    form.session_types.add(kind)
    return form


@pytest.fixture
def intake(professional, kind):
    form = IntakeForm.objects.create(
        professional=professional, title="Inntökueyðublað", fields=INTAKE_FIELDS
    )
    form.session_types.add(kind)
    return form


@pytest.fixture
def booking(alice, kind):
    """Alice's session, within the join window."""
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
    )
