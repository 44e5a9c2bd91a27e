from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from tengja.accounts.models import User
from tengja.billing.models import (
    MANUAL,
    PAID,
    Invoice,
    LocalIntent,
    Payment,
    PaymentMethod,
    Refund,
)
from tengja.bookings.models import Booking
from tengja.bookings.selectors import CLIENT_ROW

# What a row of the client's bills shows (billing/payments_body.html): only these
# columns are read, as Django spends longer compiling a join's every column
# than the database takes to answer it.
INVOICE_ROW = (
    *("code", "kind", "number", "issued_at", "description", "session_starts_at"),
    *("amount", "currency", "status", "professional__user__name"),
)


def invoices_for_client(*, user: User) -> QuerySet[Invoice]:
    """The client's bills, by their session, newest first (a credit note after
    the bill it corrects): read in the order of the index on the client's
    sessions, so a page reads its own bills however many there are.

    With `refund_status`, the latest refund's: a void bill whose payment came
    after the session was cancelled says that money is going back. With
    `paid_manually`, how a bill paid outside Tengja was paid."""
    latest_refund = Refund.objects.filter(payment__invoice=OuterRef("pk")).order_by("-created_at")
    # How a bill paid to the professional outside Tengja was paid (e.g. "cash").
    paid_manually = Payment.objects.filter(invoice=OuterRef("pk"), provider=MANUAL, status__in=PAID)
    return (
        Invoice.objects.filter(booking__client=user)
        .select_related("professional__user")
        .only(*INVOICE_ROW)
        .annotate(
            refund_status=Subquery(latest_refund.values("status")[:1]),
            paid_manually=Subquery(paid_manually.values("manual_method")[:1]),
        )
        .order_by("-booking__starts_at", "-booking_id", "-issued_at", "-number")
    )


def _invoice_or_404(mine: Q, code: str) -> Invoice:
    """The invoice with `code` among `mine`, with what its page shows; else 404."""
    invoice = (
        Invoice.objects.filter(mine, code=code)
        .select_related(
            "booking__session_type",
            "booking__client",
            "booking__invitation",
            "booking__professional",
            "professional__user",
        )
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_for_user(*, user: User, code: str) -> Invoice:
    """The invoice, if the user is its client or its professional; else 404."""
    return _invoice_or_404(Q(booking__client=user) | Q(professional__user=user), code)


def invoice_for_professional(*, user: User, code: str) -> Invoice:
    """The invoice, if the user is the professional who issued it; else 404 (its
    client and everyone else alike)."""
    return _invoice_or_404(Q(professional__user=user), code)


def invoice_of_session_for_client(*, user: User, booking_code: str) -> Invoice:
    """The bill that stands for the client's session (as invoice_standing); else 404."""
    invoice = (
        Invoice.objects.filter(
            booking__code=booking_code, booking__client=user, kind=Invoice.Kind.INVOICE
        )
        .exclude(status=Invoice.Status.CREDITED)
        .only("code", "status")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def cards_for(*, user: User) -> list[PaymentMethod]:
    return list(PaymentMethod.objects.filter(user=user, removed_at__isnull=True))


def card_for_user(*, user: User, code: str) -> PaymentMethod:
    card = PaymentMethod.objects.filter(user=user, code=code, removed_at__isnull=True).first()
    if card is None:
        raise Http404
    return card


def payment_for_intent(*, user: User, intent_id: str) -> Payment:
    payment = (
        Payment.objects.filter(provider_ref=intent_id, invoice__booking__client=user)
        .select_related("invoice")
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def payment_in_progress(*, invoice: Invoice) -> Payment | None:
    """The bill's payment waiting for the bank (at most one: a constraint), with its card."""
    return (
        invoice.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION])
        .select_related("method")
        .first()
    )


def payments_stopped_by_removing(*, method: PaymentMethod) -> list[Payment]:
    """The card's payments that removing it cancels (services.card_remove), with
    their bills: those waiting for the card holder or not yet sent to the bank."""
    return list(
        Payment.objects.filter(
            method=method, status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION]
        )
        .exclude(status=Payment.Status.PENDING, provider_ref__gt="")
        .select_related("invoice")
        .order_by("pk")
    )


def credit_sessions_for(*, user: User) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(client=user, paid_with=Booking.PaidWith.CREDITS)
        .select_related("session_type", "professional__user")
        .only(*CLIENT_ROW)
        .order_by("-starts_at")
    )


def local_setup_for(*, user: User, intent_id: str) -> LocalIntent | None:
    """A card the user is saving with the local provider, waiting for 3-D Secure."""
    return LocalIntent.objects.filter(
        intent_id=intent_id,
        kind=LocalIntent.Kind.SETUP,
        user=user,
        status=LocalIntent.Status.REQUIRES_ACTION,
    ).first()


def invoice_standing(*, booking: Booking, lock: bool = False) -> Invoice | None:
    """The bill that stands for a session now (not a credit note, not one a credit
    note has cancelled); at most one (a database constraint). It comes with its
    professional, and the session given as its own."""
    invoices = (
        Invoice.objects.filter(booking=booking, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CREDITED)
        .select_related("professional")
    )
    if lock:
        invoices = invoices.select_for_update(of=("self",))
    invoice = invoices.first()
    if invoice is not None:
        invoice.booking = booking
    return invoice
