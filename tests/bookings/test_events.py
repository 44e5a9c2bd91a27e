"""Who hears of a booking change, and in which order (tengja.bookings.events)."""

from tengja.billing import events as billing_events
from tengja.billing.models import Invoice
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.billing.services import on_booking_event as billing_hears
from tengja.bookings import events
from tengja.bookings.services import booking_cancel, booking_invite
from tengja.hubs.services import on_booking_event as hubs_hear
from tengja.notifications import services as notifications
from tengja.video.services import on_booking_event as video_hears
from tests.billing.conftest import add_card


def test_the_subscribers_and_their_order_are_pinned():
    assert events.subscribers() == (
        hubs_hear,
        billing_hears,
        notifications.on_booking_event,
        video_hears,
    )
    assert billing_events.subscribers() == (notifications.on_billing_event,)


def test_no_app_imports_one_above_it():
    """The layers of docs/architecture.md, as each module's imports say them: only
    tengja.wiring names the listeners, so bookings and billing import none."""
    import ast
    from pathlib import Path

    import tengja

    # lower ← higher; an app may import only apps to its left (and itself).
    layers = [
        {"lib"},
        {"accounts"},
        {"professionals"},
        {"bookings"},
        {"intake", "measures", "notes", "messaging"},
        {"hubs", "billing", "video"},
        {"notifications", "wellbeing"},
        {"dashboard", "privacy", "devmail"},
        {"wiring"},
    ]
    rank = {app: n for n, apps in enumerate(layers) for app in apps}
    root = Path(tengja.__file__).parent
    wrong = []
    for path in root.glob("*/**/*.py"):
        app = path.relative_to(root).parts[0]
        if app not in rank or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                parts = name.split(".")
                above = len(parts) > 1 and rank.get(parts[1], -1) > rank[app]
                if parts[0] == "tengja" and above:
                    wrong.append(f"{path.relative_to(root)} imports {name}")
    assert wrong == []


def test_people_are_told_after_the_bill_is_settled(
    monkeypatch, alice, professional, session_type, tomorrow
):
    """A professional cancels a paid session: by the time the client is told, the
    bill already says a refund is on its way (so the e-mail and the page agree)."""
    booking = booking_invite(
        professional=professional, session_type=session_type, starts_at=tomorrow, email=alice.email
    )
    invoice_pay(
        invoice=invoice_standing(booking=booking),
        method=add_card(alice),
        payment_key=new_payment_key(),
    )
    seen = []
    told = notifications.notify_cancelled

    def spy(*, booking, **kwargs):
        seen.append(Invoice.objects.get(booking=booking).status)
        told(booking=booking, **kwargs)

    monkeypatch.setattr(notifications, "notify_cancelled", spy)
    booking_cancel(booking=booking, by=professional.user)
    assert seen == ["refund_pending"]  # decided in the transaction, sent after commit
