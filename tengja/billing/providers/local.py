"""The local test provider: behaves like Stripe's test mode, offline.

4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined; 4000 0027 6000
3184 needs authentication on every charge (a page in the app stands in for
the bank's). Expiry and CVC are checked. Only brand, last four digits and
expiry are kept; the test behaviour rides in the card's reference, as Stripe
would keep it on its side.
"""

import secrets
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.billing.models import LocalIntent
from tengja.billing.providers.base import (
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
)

BEHAVIOUR = {
    "4242424242424242": "succeed",
    "4000000000000002": "decline",
    "4000002760003184": "authenticate",
    "5555555555554444": "succeed",
}


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
        raise ProviderError(_("Your card's expiry date is in the past."), field="exp_month")


class LocalProvider:
    name = "local"

    def card_save(self, *, user: User, data: dict) -> CardDetails:
        number = "".join(ch for ch in str(data.get("number", "")) if not ch.isspace())
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise ProviderError(_("Your card number is incomplete or not valid."), field="number")
        check_expiry(int(data["exp_month"]), int(data["exp_year"]))
        cvc = str(data.get("cvc", ""))
        brand = card_brand(number)
        if not cvc.isdigit() or len(cvc) != (4 if brand == "American Express" else 3):
            raise ProviderError(_("Your card's security code is incomplete."), field="cvc")
        behaviour = BEHAVIOUR.get(number, "succeed")
        return CardDetails(
            provider_ref=f"pm_local_{behaviour}_{secrets.token_hex(8)}",
            brand=brand,
            last4=number[-4:],
            exp_month=int(data["exp_month"]),
            exp_year=int(data["exp_year"]),
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
    ) -> ChargeResult:
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
                behaviour = (
                    provider_ref.split("_")[2] if provider_ref.count("_") >= 3 else "succeed"
                )
                intent.status = {
                    "succeed": LocalIntent.Status.SUCCEEDED,
                    "decline": LocalIntent.Status.FAILED,
                    "authenticate": LocalIntent.Status.REQUIRES_ACTION,
                }[behaviour]
                intent.save(update_fields=["status"])
        if intent.status == LocalIntent.Status.FAILED:
            return ChargeResult(
                ChargeStatus.FAILED, intent.intent_id, message=_("Your card was declined.")
            )
        if intent.status == LocalIntent.Status.REQUIRES_ACTION:
            url = reverse("billing:local_authenticate", kwargs={"intent_id": intent.intent_id})
            return ChargeResult(ChargeStatus.REQUIRES_ACTION, intent.intent_id, action_url=url)
        return ChargeResult(ChargeStatus.SUCCEEDED, intent.intent_id)

    def refund(self, *, payment_ref: str, idempotency_key: str) -> None:
        LocalIntent.objects.filter(intent_id=payment_ref).update(status=LocalIntent.Status.REFUNDED)

    def page_context(self, *, user: User) -> dict:
        return {}
