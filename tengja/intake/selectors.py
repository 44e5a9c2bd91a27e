"""Reads of what a client has given a professional (issue 29)."""

from collections.abc import Sequence

from tengja.bookings.models import Booking
from tengja.intake import responses
from tengja.intake.details import details_join_blockers

__all__ = ["details_join_blockers", "forms_join_blockers"]


def forms_join_blockers(bookings: Sequence[Booking]) -> dict[int, str]:
    """Sessions whose client has not yet completed a form (or signed a consent)
    required by the session's type before the first session, by booking id: why
    the call may not start (tengja.intake.responses)."""
    return responses.forms_join_blockers(bookings)
