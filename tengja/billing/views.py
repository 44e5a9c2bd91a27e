from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tengja.accounts.models import User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.billing import manual, services
from tengja.billing.forms import ExpiryForm, LocalCardForm, ManualPaymentForm, MarkDoneForm
from tengja.billing.manual import professional_today
from tengja.billing.models import PAID, Invoice, Payment, PaymentMethod
from tengja.billing.pdf import invoice_pdf
from tengja.billing.providers import CardAuthentication, ProviderError, get_provider
from tengja.billing.selectors import (
    card_for_user,
    cards_for,
    credit_sessions_for,
    invoice_for_professional,
    invoice_for_user,
    invoice_of_session_for_client,
    invoice_standing,
    invoices_for_client,
    local_setup_for,
    payment_for_intent,
    payment_in_progress,
    payments_stopped_by_removing,
)
from tengja.bookings.models import Booking
from tengja.bookings.selectors import booking_for_user
from tengja.bookings.services import BookingError, booking_mark_done, invitation_seen
from tengja.lib.http import render_form, safe_next
from tengja.lib.money import money_format
from tengja.lib.windows import window


@login_required
def payments(request: AuthenticatedRequest) -> HttpResponse:
    """The Payments tab: bills, cards, and sessions covered by credits."""
    return render(
        request,
        "billing/payments.html",
        {
            "page": window(
                invoices_for_client(user=request.user), page=request.GET.get("page"), size=10
            ),
            "cards": cards_for(user=request.user),
            "credit_sessions": credit_sessions_for(user=request.user)[:10],
        },
    )


@login_required
def invoice(request: AuthenticatedRequest, code: str) -> HttpResponse:
    invoice = invoice_for_user(user=request.user, code=code)
    return _invoice_page(request, invoice)


def _invoice_page(
    request: AuthenticatedRequest, invoice: Invoice, *, manual_form: ManualPaymentForm | None = None
) -> HttpResponse:
    """The bill's page; with `manual_form`, the professional's refused record of a
    payment (400, nothing changed)."""
    is_client = invoice.booking.role_of(request.user) == Booking.Role.CLIENT
    if is_client:
        invitation_seen(booking=invoice.booking)  # the client has it in front of them
    payment = invoice.payments.select_related("method").first()
    refund = payment.refunds.first() if payment else None
    # The card that paid: never one whose payment was cancelled or declined.
    paid = payment if payment is not None and payment.status in PAID else None
    if paid is None and invoice.paid_at:
        paid = invoice.payments.filter(status__in=PAID).select_related("method").first()
    corrected_by = (
        invoice_standing(booking=invoice.booking)
        if invoice.status == Invoice.Status.CREDITED
        else None
    )
    is_professional = invoice.professional.user_id == request.user.pk
    if manual_form is None and is_professional and _may_mark_paid(invoice, payment):
        manual_form = ManualPaymentForm(
            initial={"paid_on": professional_today(invoice), "form_key": services.new_payment_key()}
        )
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "payment": payment,
            "refund": refund,
            "paid_with": paid.method if paid is not None and invoice.paid_at else None,
            "paid_manually": paid if paid is not None and paid.is_manual else None,
            "corrected_by": corrected_by,
            "is_client": is_client,
            "is_professional": is_professional,
            "manual_form": manual_form,
        },
        status=400 if manual_form is not None and manual_form.errors else 200,
    )


def _may_mark_paid(invoice: Invoice, latest: Payment | None) -> bool:
    """Whether the professional is offered to record a payment: an open bill whose
    card payment (if any, the latest) is not with the bank right now."""
    return (
        invoice.is_open
        and not invoice.is_credit_note
        and not (latest is not None and latest.status == Payment.Status.PENDING)
    )


@login_required
@require_POST
def invoice_mark_paid(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional records that the client paid them outside Tengja."""
    invoice = invoice_for_professional(user=request.user, code=code)
    form = ManualPaymentForm(request.POST)
    if form.is_valid():
        try:
            manual.invoice_mark_paid(
                invoice=invoice,
                by=request.user,
                method=form.cleaned_data["method"],
                paid_on=form.cleaned_data["paid_on"],
                reference=form.cleaned_data["reference"],
                form_key=form.cleaned_data["form_key"],
            )
        except services.BillingError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request, _("The bill is marked paid. The client has been sent a receipt.")
            )
            return redirect("billing:invoice", code=invoice.code)
    return _invoice_page(request, invoice, manual_form=form)


@login_required
@require_POST
def invoice_mark_paid_undo(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Take back a payment the professional recorded by mistake (kept as undone)."""
    invoice = invoice_for_professional(user=request.user, code=code)
    try:
        manual.invoice_mark_paid_undo(invoice=invoice, by=request.user)
    except services.BillingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The payment is undone and the bill is open again. The client has been told."),
        )
    return redirect("billing:invoice", code=invoice.code)


@login_required
@require_POST
def refund_returned(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional has given back a payment made to them outside Tengja."""
    invoice = invoice_for_professional(user=request.user, code=code)
    try:
        manual.refund_mark_returned(invoice=invoice, by=request.user)
    except services.BillingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The payment is marked returned to the client."))
    return redirect("billing:invoice", code=invoice.code)


@login_required
def invoice_download(request: AuthenticatedRequest, code: str) -> HttpResponse:
    invoice = invoice_for_user(user=request.user, code=code)
    if invoice.booking.role_of(request.user) == Booking.Role.CLIENT:
        invitation_seen(booking=invoice.booking)  # the client has it in front of them
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.display_number}.pdf"'
    return response


@login_required
def pay(request: AuthenticatedRequest, code: str) -> HttpResponse:
    invoice = invoice_for_user(user=request.user, code=code)
    if invoice.booking.role_of(request.user) != Booking.Role.CLIENT:
        raise Http404
    cards = cards_for(user=request.user)
    if request.method == "POST":
        card = next((c for c in cards if c.code == request.POST.get("card")), None)
        if card is None:
            messages.error(request, _("Choose one of your cards, or add a new one."))
            return redirect("billing:pay", code=invoice.code)
        try:
            payment = services.invoice_pay(
                invoice=invoice, method=card, payment_key=request.POST.get("payment_key", "")
            )
        except services.BillingError as error:
            messages.error(request, str(error))
            return redirect("billing:invoice", code=invoice.code)
        if payment.status == Payment.Status.REQUIRES_ACTION and payment.action_url:
            return redirect(payment.action_url)
        _say_outcome(request, payment)
        return redirect("billing:invoice", code=invoice.code)
    if invoice.status != Invoice.Status.OPEN:
        return redirect("billing:invoice", code=invoice.code)
    return render(
        request,
        "billing/pay.html",
        {
            "invoice": invoice,
            "cards": cards,
            # The card just added with "Use a new card", else the default one.
            "chosen": next(
                (c for c in cards if c.code == request.GET.get("card")),
                next((c for c in cards if c.is_default), None),
            ),
            "payment_key": services.new_payment_key(),
            "in_progress": payment_in_progress(invoice=invoice),
        },
    )


@login_required
def session_pay(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Straight from booking a session to paying its bill ("Book and pay")."""
    invoice = invoice_of_session_for_client(user=request.user, booking_code=code)
    if invoice.status == Invoice.Status.OPEN:
        return redirect("billing:pay", code=invoice.code)
    return redirect("billing:invoice", code=invoice.code)


def _own_session(request: AuthenticatedRequest, code: str) -> Booking:
    """The session named in the URL, if the user is its professional; else 404."""
    booking = booking_for_user(user=request.user, code=code)
    if booking.role_of(request.user) != Booking.Role.PROFESSIONAL:
        raise Http404
    return booking


@login_required
@require_POST
def session_done(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional marks the session done (on its page or the call page) and,
    for a bill still open, charges it now, leaves it for later, or skips it."""
    booking = _own_session(request, code)
    form = MarkDoneForm(request.POST, bill_open=_bill_open(booking))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("bookings:detail", code=booking.code)
    choice = form.cleaned_data["payment"]
    skipped = form.cleaned_data["reason"].strip() if choice == MarkDoneForm.SKIP else ""
    try:
        booking = booking_mark_done(
            booking=booking, by=request.user, payment_skipped_reason=skipped
        )
    except BookingError as error:
        messages.error(request, str(error))
        return redirect("bookings:detail", code=booking.code)
    if choice == MarkDoneForm.NOW:
        messages.success(request, _("The session is marked done."))
        _charge_now(request, booking, form.cleaned_data["payment_key"])
    elif choice == MarkDoneForm.SKIP:
        messages.success(
            request, _("The session is marked done. It is not charged: its bill is void.")
        )
    elif form.bill_open:
        messages.success(
            request,
            _("The session is marked done. Its bill stays open: charge it or let the client pay."),
        )
    else:
        messages.success(request, _("The session is marked done."))
    return redirect("bookings:detail", code=booking.code)


def _bill_open(booking: Booking) -> bool:
    # booking_for_user reads the standing bill's status with the session.
    return not booking.paid_with_credits and getattr(booking, "bill_status", None) == "open"


@login_required
@require_POST
def session_charge(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Charge now, later: a done session's open bill, or a late-cancelled or missed
    one that stays payable, to the client's default card."""
    booking = _own_session(request, code)
    _charge_now(request, booking, request.POST.get("payment_key", ""))
    return redirect("bookings:detail", code=booking.code)


def _charge_now(request: HttpRequest, booking: Booking, payment_key: str) -> None:
    """Charge the client's card and tell the professional plainly what came of it."""
    assert isinstance(request.user, User)
    try:
        payment = services.invoice_charge_now(
            booking=booking, by=request.user, payment_key=payment_key
        )
    except services.BillingError as error:
        messages.error(request, str(error))
        return
    payment.refresh_from_db()
    name = booking.client_label
    amount = money_format(payment.amount, payment.currency)
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(
            request,
            _("%(amount)s was charged to %(name)s's card. The bill is paid.")
            % {"amount": amount, "name": name},
        )
    elif payment.status == Payment.Status.REQUIRES_ACTION:
        messages.warning(
            request,
            _(
                "%(name)s's bank wants them to confirm this payment, so nothing was charged yet. "
                "The bill stays open, and we have asked them to pay it."
            )
            % {"name": name},
        )
    elif payment.status == Payment.Status.FAILED:
        # A decline, or (charged without them there) their bank wanting them to
        # confirm it: the provider's reason, then what happens now.
        messages.error(
            request,
            _(
                "Nothing was charged to %(name)s's card: %(reason)s The bill stays open, and "
                "we have asked them to pay it."
            )
            % {"name": name, "reason": payment.failure_message or _("it was declined.")},
        )
    else:
        messages.warning(
            request,
            _("The payment is being processed. The bill shows the result when it is known."),
        )


def _say_outcome(request: HttpRequest, payment: Payment) -> None:
    """What became of a payment the client just made, said as it is: paid; or not
    kept, because the session was cancelled or the payment had been (the money
    then goes back); or cancelled before anything was taken; or declined."""
    payment.refresh_from_db()
    invoice = payment.invoice
    invoice.refresh_from_db(fields=["status"])
    open_again = _("The bill is still open: pay it with another card.")
    taken = payment.succeeded_at is not None
    if payment.status == Payment.Status.SUCCEEDED and invoice.status == Invoice.Status.PAID:
        messages.success(request, _("Thank you: the bill is paid. A receipt is on its way."))
    elif taken and invoice.status == Invoice.Status.VOID:
        messages.warning(
            request,
            _(
                "The session was cancelled before your payment went through, so there is "
                "nothing to pay. Your payment is being returned to your card; banks can take "
                "a few days to show it."
            ),
        )
    elif taken:
        messages.warning(
            request,
            _(
                "This payment had been cancelled, but your bank took it all the same. It is "
                "being returned to your card; banks can take a few days to show it."
            ),
        )
    elif payment.status == Payment.Status.CANCELLED:
        latest = invoice.payments.values_list("pk", flat=True).first()
        if not (invoice.is_open and latest == payment.pk):  # else the bill's page says it
            text = payment.cancel_message()
            messages.warning(request, f"{text} {open_again}" if invoice.is_open else text)
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, payment.failure_message or _("The payment did not go through."))


@login_required
def card_add(request: AuthenticatedRequest) -> HttpResponse:
    provider = get_provider()
    form = LocalCardForm(request.POST or None) if provider.name == "local" else None
    if request.method == "POST":
        data = form.cleaned_data if form is not None and form.is_valid() else None
        if provider.name != "local":
            data = {"payment_method": request.POST.get("payment_method", "")}
        if data is not None:
            try:
                card = services.card_add(user=request.user, data=data)
                if isinstance(card, CardAuthentication):
                    # The bank asks the holder first; the card is saved after.
                    next_url = safe_next(request, "")
                    return redirect(
                        card.action_url + (f"?{urlencode({'next': next_url})}" if next_url else "")
                    )
            except services.BillingError as error:
                # On the field it is about, so the field itself is marked invalid.
                if form is not None and error.field in form.fields:
                    form.add_error(error.field, str(error))
                elif form is not None:
                    form.add_error(None, str(error))
                else:
                    messages.error(request, str(error))
            else:
                messages.success(request, _("Your %(card)s has been saved.") % {"card": card})
                return redirect(_back_with_card(safe_next(request, "/payments/"), card))
    try:
        provider_context = provider.page_context(user=request.user)
    except ProviderError as error:
        messages.error(request, str(error))
        provider_context = {}
    return render(
        request,
        "billing/card_add.html",
        {
            "form": form,
            "provider": provider.name,
            "next": safe_next(request, ""),
            **provider_context,
        },
        status=400 if request.method == "POST" else 200,
    )


def _back_with_card(url: str, card: PaymentMethod) -> str:
    """Back to where the card was added from; a pay page then chooses that card
    ("Use a new card" means paying with it)."""
    parts = urlsplit(url)
    try:
        if resolve(parts.path).view_name != "billing:pay":
            return url
    except Resolver404:
        return url
    return urlunsplit(parts._replace(query=urlencode({"card": card.code})))


@login_required
def card_update(request: AuthenticatedRequest, code: str) -> HttpResponse:
    card = card_for_user(user=request.user, code=code)
    form = ExpiryForm(
        request.POST or None, initial={"exp_month": card.exp_month, "exp_year": card.exp_year}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.card_update_expiry(method=card, **form.cleaned_data)
        except services.BillingError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("Your card has been updated."))
            return redirect("billing:payments")
    return render_form(request, "billing/card_update.html", {"card": card, "form": form}, form)


@login_required
def card_remove(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """GET asks to confirm; POST removes."""
    card = card_for_user(user=request.user, code=code)
    stopped = payments_stopped_by_removing(method=card)
    if request.method != "POST":
        return render(request, "billing/card_remove.html", {"card": card, "stopped": stopped})
    try:
        services.card_remove(method=card)
    except services.BillingError as error:
        messages.error(request, str(error))
    else:
        said = [_("Your %(card)s has been removed.") % {"card": card}]
        said += [
            _("The payment waiting on bill %(number)s is cancelled: nothing is taken.")
            % {"number": payment.invoice.display_number}
            for payment in stopped
        ]
        messages.success(request, " ".join(said))
    return redirect("billing:payments")


@login_required
@require_POST
def card_default(request: AuthenticatedRequest, code: str) -> HttpResponse:
    card = card_for_user(user=request.user, code=code)
    services.card_make_default(method=card)
    messages.success(request, _("Your %(card)s is now your default card.") % {"card": card})
    return redirect("billing:payments")


@login_required
def local_authenticate(request: AuthenticatedRequest, intent_id: str) -> HttpResponse:
    """The local provider's stand-in for a bank's 3-D Secure page: for saving a
    card, or for a charge."""
    if settings.PAYMENT_PROVIDER != "local":
        raise Http404
    setup = local_setup_for(user=request.user, intent_id=intent_id)
    if setup is not None:
        if request.method == "POST":
            card = services.local_authenticate(
                intent_id=intent_id, approve=request.POST.get("outcome") == "complete"
            )
            if card is None:
                messages.error(
                    request,
                    _(
                        "We are unable to authenticate your payment method. Please choose a "
                        "different payment method and try again."
                    ),
                )
                return redirect("billing:card_add")
            messages.success(request, _("Your %(card)s has been saved.") % {"card": card})
            return redirect(_back_with_card(safe_next(request, reverse("billing:payments")), card))
        return render(
            request,
            "billing/local_authenticate.html",
            {"setup": setup, "next": safe_next(request, "")},
        )
    payment = payment_for_intent(user=request.user, intent_id=intent_id)
    if request.method == "POST":
        approve = request.POST.get("outcome") == "complete"
        services.local_authenticate(intent_id=intent_id, approve=approve)
        _say_outcome(request, payment)
        return redirect("billing:invoice", code=payment.invoice.code)
    return render(request, "billing/local_authenticate.html", {"payment": payment})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed events; a repeat is acknowledged and ignored."""
    from tengja.billing.providers.stripe import stripe_event

    try:
        event = stripe_event(request.body, request.headers.get("Stripe-Signature", ""))
    except ValueError:
        return HttpResponse("bad signature", status=400)
    try:
        outcome = services.event_process(provider="stripe", payload=event)
    except services.EventError as error:
        return HttpResponse(f"malformed event: {error}", status=400)
    return HttpResponse(outcome)
