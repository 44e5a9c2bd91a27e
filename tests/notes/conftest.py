"""Sessions and notes for the tests of tengja.notes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tengja.notes.services import addendum_add, note_sign, note_start
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

SECRET_TITLE = "Kvíði vegna skilnaðar"
SECRET_BODY = "Skjólstæðingur greinir frá svefnleysi og áfengisneyslu."
SECRET_ADDENDUM = "Hringdi daginn eftir: líður betur."


@pytest.fixture
def past(alice, professional):
    """Alice's session with her professional, yesterday."""
    kind = SessionTypeFactory(professional=professional, name="Viðtal")
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() - timedelta(days=1)
    )


@pytest.fixture
def draft(past):
    return note_start(
        professional=past.professional, client=past.client, booking=past, template="soap"
    )


@pytest.fixture
def signed(past):
    note = note_start(professional=past.professional, client=past.client, booking=past)
    note = note_sign(note=note, title=SECRET_TITLE, body=SECRET_BODY)
    addendum_add(note=note, body=SECRET_ADDENDUM)
    return note


@pytest.fixture
def operator(db):
    return UserFactory(email="staff@tengja.test", is_staff=True, is_superuser=True)
