"""What must be done before a session's call may start, as the apps above
bookings say it (tengja.intake: required details, forms and consent).

Bookings cannot import them (docs/architecture.md), so tengja.wiring hands the
checks over at start-up (`register`), as it does the event subscribers. Each
check takes the sessions a page shows and answers, in a fixed number of queries
whatever their number, why the client may not start each one's call yet.
"""

from collections.abc import Callable, Sequence

from django.core.exceptions import ImproperlyConfigured

from tengja.bookings.models import Booking

# bookings → {booking.pk: why the client may not start the call yet}
Check = Callable[[Sequence[Booking]], dict[int, str]]

_checks: tuple[Check, ...] | None = None


def register(*checks: Check) -> None:
    """The checks, in order (all at once, so running it again changes nothing):
    tengja.wiring's AppConfig.ready."""
    global _checks
    _checks = checks


def join_blockers(bookings: Sequence[Booking]) -> dict[int, str]:
    """Why the client of each booking may not start its call yet, by booking id:
    the first reason any check gives. A booking absent from the answer may start."""
    if _checks is None:
        # Never a call that starts because nobody was asked.
        raise ImproperlyConfigured("No join checks: is tengja.wiring installed?")
    bookings = [b for b in bookings if b.client_id is not None and not b.is_on_site]
    reasons: dict[int, str] = {}
    if not bookings:
        return reasons
    for check in _checks:
        for pk, reason in check(bookings).items():
            reasons.setdefault(pk, reason)
    return reasons


def join_blocker_set(bookings: Sequence[Booking]) -> None:
    """Each booking's `join_blocker`: why its client may not start the call yet, or
    "" (read by includes/join_button.html)."""
    reasons = join_blockers(bookings)
    for booking in bookings:
        booking.join_blocker = reasons.get(booking.pk, "")  # type: ignore[attr-defined]
