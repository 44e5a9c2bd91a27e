"""The local test provider: behaves as Stripe's test mode does, offline.

Its cards are Stripe's test cards, with the behaviour Stripe documents for each
(https://docs.stripe.com/testing): the same cards succeed, are declined with the
same messages, or ask for authentication when saved (as a SetupIntent does) or
when charged, so that switching to Stripe changes nothing a person sees. A page
in the app stands in for the bank's 3-D Secure check. As in Stripe's test mode,
a number that is not a test card is refused. Only the brand, last four digits
and expiry are kept on our side; which test card it was rides in the card's
reference, as Stripe would keep it on its side.
"""

import secrets
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.billing.models import LocalIntent
from tengja.billing.providers.base import (
    AUTHENTICATION_REQUIRED,
    CardAuthentication,
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
)

OK, AUTHENTICATE = "ok", "authenticate"


@dataclass(frozen=True)
class TestCard:
    name: str  # kept in the card's reference
    on_save: str  # OK, AUTHENTICATE, or a decline code
    on_charge: str  # OK, AUTHENTICATE, or a decline code
    after_authentication: str = OK  # what a charge does once authenticated
    refund_fails: bool = False


TEST_CARDS = {
    # Succeed
    "4242424242424242": TestCard("visa", OK, OK),
    "4000056655665556": TestCard("visa_debit", OK, OK),
    "5555555555554444": TestCard("mastercard", OK, OK),
    "2223003122003222": TestCard("mastercard_2", OK, OK),
    "5200828282828210": TestCard("mastercard_debit", OK, OK),
    "378282246310005": TestCard("amex", OK, OK),
    # Declined, when saved and when charged
    "4000000000000002": TestCard("declined", "generic_decline", "generic_decline"),
    "4000000000009995": TestCard("insufficient", "insufficient_funds", "insufficient_funds"),
    "4000000000009987": TestCard("lost", "lost_card", "lost_card"),
    "4000000000009979": TestCard("stolen", "stolen_card", "stolen_card"),
    "4000000000000069": TestCard("expired", "expired_card", "expired_card"),
    "4000000000000127": TestCard("bad_cvc", "incorrect_cvc", "incorrect_cvc"),
    "4000000000000119": TestCard("processing", "processing_error", "processing_error"),
    # Saved fine, every charge declined
    "4000000000000341": TestCard("charge_fails", OK, "generic_decline"),
    # 3-D Secure: set up once, then charged without asking again
    "4000002500003155": TestCard("auth_setup", AUTHENTICATE, OK),
    # 3-D Secure on saving and on every charge
    "4000002760003184": TestCard("auth_always", AUTHENTICATE, AUTHENTICATE),
    # 3-D Secure on every charge, then declined for want of funds
    "4000008260003178": TestCard(
        "auth_insufficient", AUTHENTICATE, AUTHENTICATE, after_authentication="insufficient_funds"
    ),
    # The charge succeeds; giving it back fails
    "4000000000005126": TestCard("refund_fails", OK, OK, refund_fails=True),
}
BY_NAME = {card.name: card for card in TEST_CARDS.values()}
# The names cards saved before this list had.
BY_NAME |= {
    "succeed": BY_NAME["visa"],
    "decline": BY_NAME["declined"],
    "authenticate": BY_NAME["auth_always"],
}


def decline_message(code: str) -> str:
    """The message Stripe's test mode gives for a decline code."""
    messages = {
        "generic_decline": _("Your card was declined."),
        "lost_card": _("Your card was declined."),
        "stolen_card": _("Your card was declined."),
        "insufficient_funds": _("Your card has insufficient funds."),
        "expired_card": _("Your card has expired."),
        "incorrect_cvc": _("Your card's security code is incorrect."),
        "processing_error": _(
            "An error occurred while processing your card. Try again in a little bit."
        ),
    }
    return messages.get(code, messages["generic_decline"])


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"34", "37"}:
        return "American Express"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "Mastercard"
    return "Card"


def check_expiry(exp_month: int, exp_year: int, today: date | None = None) -> None:
    today = today or date.today()
    if not 1 <= exp_month <= 12:
        raise ProviderError(_("The expiry month must be between 1 and 12."), field="exp_month")
    if (exp_year, exp_month) < (today.year, today.month) or exp_year > today.year + 20:
        raise ProviderError(_("Your card's expiration date is in the past."), field="exp_month")


def card_of(provider_ref: str) -> TestCard:
    """The test card a saved card's reference names (pm_local_<name>_<random>)."""
    name = provider_ref.removeprefix("pm_local_").rsplit("_", 1)[0]
    return BY_NAME.get(name, BY_NAME["visa"])


class LocalProvider:
    name = "local"

    def card_save(self, *, user: User, data: dict) -> CardDetails | CardAuthentication:
        # The messages Stripe's card form gives, so that switching changes nothing.
        number = "".join(ch for ch in str(data.get("number", "")) if not ch.isspace())
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise ProviderError(_("Your card number is incomplete."), field="number")
        if not luhn_valid(number):
            raise ProviderError(_("Your card number is invalid."), field="number")
        check_expiry(int(data["exp_month"]), int(data["exp_year"]))
        cvc = str(data.get("cvc", ""))
        brand = card_brand(number)
        if not cvc.isdigit() or len(cvc) != (4 if brand == "American Express" else 3):
            raise ProviderError(_("Your card's security code is incomplete."), field="cvc")
        card = TEST_CARDS.get(number)
        if card is None:
            raise ProviderError(
                _(
                    "Your card was declined. This is a test system: use one of the test "
                    "cards listed above."
                ),
                field="number",
            )
        if card.on_save not in (OK, AUTHENTICATE):
            raise ProviderError(decline_message(card.on_save), field="number")
        details = CardDetails(
            provider_ref=f"pm_local_{card.name}_{secrets.token_hex(8)}",
            brand=brand,
            last4=number[-4:],
            exp_month=int(data["exp_month"]),
            exp_year=int(data["exp_year"]),
        )
        if card.on_save == OK:
            return details
        # As a SetupIntent whose card asks for 3-D Secure: saved once authenticated.
        intent_id = f"seti_local_{secrets.token_hex(10)}"
        LocalIntent.objects.create(
            intent_id=intent_id,
            idempotency_key=f"setup-{intent_id}",
            payment_method_ref=details.provider_ref,
            amount=0,
            currency="",
            status=LocalIntent.Status.REQUIRES_ACTION,
            kind=LocalIntent.Kind.SETUP,
            user=user,
            card={
                "brand": details.brand,
                "last4": details.last4,
                "exp_month": details.exp_month,
                "exp_year": details.exp_year,
            },
        )
        return CardAuthentication(
            intent_id=intent_id,
            action_url=reverse("billing:local_authenticate", kwargs={"intent_id": intent_id}),
        )

    def card_update_expiry(self, *, provider_ref: str, exp_month: int, exp_year: int) -> None:
        check_expiry(exp_month, exp_year)

    def card_remove(self, *, provider_ref: str) -> None:
        return None

    def charge(
        self,
        *,
        user: User,
        provider_ref: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        return_url: str,
        off_session: bool = False,
    ) -> ChargeResult:
        card = card_of(provider_ref)
        with transaction.atomic():
            intent, created = LocalIntent.objects.select_for_update().get_or_create(
                idempotency_key=idempotency_key,
                defaults={
                    "intent_id": f"pi_local_{secrets.token_hex(10)}",
                    "payment_method_ref": provider_ref,
                    "amount": amount,
                    "currency": currency,
                    "status": LocalIntent.Status.NEW,
                },
            )
            if created:
                if card.on_charge == OK:
                    intent.status = LocalIntent.Status.SUCCEEDED
                elif card.on_charge == AUTHENTICATE and off_session:
                    # As Stripe: no one there to confirm, so declined.
                    intent.status = LocalIntent.Status.FAILED
                elif card.on_charge == AUTHENTICATE:
                    intent.status = LocalIntent.Status.REQUIRES_ACTION
                else:
                    intent.status = LocalIntent.Status.FAILED
                intent.save(update_fields=["status"])
        if intent.status == LocalIntent.Status.CANCELED:
            # Cancelled before this call came (its answer to a lost call): as Stripe
            # answers a replayed request, nothing is charged.
            return ChargeResult(ChargeStatus.CANCELLED, intent.intent_id)
        if intent.status == LocalIntent.Status.FAILED:
            message = (
                str(AUTHENTICATION_REQUIRED)
                if card.on_charge == AUTHENTICATE
                else decline_message(card.on_charge)
            )
            return ChargeResult(ChargeStatus.FAILED, intent.intent_id, message=message)
        if intent.status == LocalIntent.Status.REQUIRES_ACTION:
            url = reverse("billing:local_authenticate", kwargs={"intent_id": intent.intent_id})
            return ChargeResult(ChargeStatus.REQUIRES_ACTION, intent.intent_id, action_url=url)
        return ChargeResult(ChargeStatus.SUCCEEDED, intent.intent_id)

    def cancel(self, *, payment_ref: str, idempotency_key: str) -> ChargeResult:
        with transaction.atomic():
            intents = LocalIntent.objects.select_for_update()
            intent = (
                intents.filter(intent_id=payment_ref).first() if payment_ref else None
            ) or intents.filter(idempotency_key=idempotency_key).first()
            if intent is None:
                # The charge was never asked for (or its call is still on its way):
                # a cancelled intent under its key, so that call charges nothing.
                intent = LocalIntent.objects.create(
                    intent_id=f"pi_local_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    payment_method_ref="",
                    amount=0,
                    currency="",
                    status=LocalIntent.Status.CANCELED,
                )
            elif intent.status in (LocalIntent.Status.NEW, LocalIntent.Status.REQUIRES_ACTION):
                intent.status = LocalIntent.Status.CANCELED
                intent.save(update_fields=["status"])
        outcome = {
            LocalIntent.Status.CANCELED: ChargeStatus.CANCELLED,
            LocalIntent.Status.FAILED: ChargeStatus.FAILED,
        }.get(
            LocalIntent.Status(intent.status), ChargeStatus.SUCCEEDED
        )  # succeeded (or refunded since)
        return ChargeResult(outcome, intent.intent_id)

    def refund(self, *, payment_ref: str, idempotency_key: str) -> str:
        intent = LocalIntent.objects.filter(intent_id=payment_ref).first()
        if intent is not None and card_of(intent.payment_method_ref).refund_fails:
            raise ProviderError(_("The refund could not be made. It will be tried again."))
        LocalIntent.objects.filter(intent_id=payment_ref).update(status=LocalIntent.Status.REFUNDED)
        return f"re_local_{payment_ref.removeprefix('pi_local_')}"

    def page_context(self, *, user: User) -> dict:
        return {}
