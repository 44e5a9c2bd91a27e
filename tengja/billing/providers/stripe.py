"""Stripe: cards are collected by Stripe.js Elements (numbers never reach us),
saved with SetupIntents, charged with PaymentIntents (3-D Secure by redirect),
confirmed by signed webhooks. Every call carries an idempotency key."""

from typing import Any, cast

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from stripe.params import PaymentIntentCreateParams

from tengja.accounts.models import User
from tengja.billing.models import StripeCustomer
from tengja.billing.providers.base import (
    AUTHENTICATION_REQUIRED,
    CardDetails,
    ChargeResult,
    ChargeStatus,
    ProviderError,
)

# How long one request to Stripe may take: 5 s to connect, 20 s for the answer,
# three tries at most. A call is then over within about 80 s, which is what lets
# a claim on a refund lapse after REFUND_CLAIM_TIMEOUT (billing.services) without
# two workers asking at the same time (the library's own default waits 80 s a try).
STRIPE_TIMEOUT = (5.0, 20.0)


def stripe_client() -> stripe.StripeClient:
    options: dict[str, Any] = {}
    if settings.STRIPE_API_BASE:  # tests point this at recorded responses
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT),
        **options,
    )


def _unavailable(error: Exception) -> ProviderError:
    return ProviderError(
        _("The payment service could not be reached. Nothing was charged; please try again.")
    )


class StripeProvider:
    name = "stripe"

    def __init__(self) -> None:
        self.client = stripe_client()

    def customer_id(self, user: User) -> str:
        with transaction.atomic():
            existing = StripeCustomer.objects.select_for_update().filter(user=user).first()
            if existing:
                return existing.customer_id
            customer = self.client.v1.customers.create(
                params={"email": user.email, "name": user.name, "metadata": {"user": str(user.pk)}},
                options={"idempotency_key": f"customer-{user.pk}"},
            )
            StripeCustomer.objects.create(user=user, customer_id=customer.id)
            return customer.id

    def card_save(self, *, user: User, data: dict) -> CardDetails:
        """`data["payment_method"]` comes from a SetupIntent confirmed by Stripe.js."""
        reference = str(data.get("payment_method", ""))
        if not reference.startswith("pm_"):
            raise ProviderError(_("The card could not be saved. Please enter it again."))
        try:
            method = self.client.v1.payment_methods.retrieve(reference).to_dict()
            customer = self.customer_id(user)
            if method.get("customer") not in (None, customer):
                raise ProviderError(_("The card could not be saved. Please enter it again."))
            if method.get("customer") is None:
                method = self.client.v1.payment_methods.attach(
                    reference,
                    params={"customer": customer},
                    options={"idempotency_key": f"attach-{reference}"},
                ).to_dict()
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        card = method["card"]
        return CardDetails(
            provider_ref=method["id"],
            brand=str(card["brand"]).title(),
            last4=card["last4"],
            exp_month=int(card["exp_month"]),
            exp_year=int(card["exp_year"]),
        )

    def card_update_expiry(self, *, provider_ref: str, exp_month: int, exp_year: int) -> None:
        try:
            self.client.v1.payment_methods.update(
                provider_ref, params={"card": {"exp_month": exp_month, "exp_year": exp_year}}
            )
        except stripe.CardError as error:
            raise ProviderError(
                error.user_message or _("The new expiry date was refused.")
            ) from error
        except stripe.StripeError as error:
            raise _unavailable(error) from error

    def card_remove(self, *, provider_ref: str) -> None:
        try:
            self.client.v1.payment_methods.detach(provider_ref)
        except stripe.StripeError as error:
            raise _unavailable(error) from error

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
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": self.customer_id(user),
            "payment_method": provider_ref,
            "confirm": True,
            "metadata": {"idempotency_key": idempotency_key},
        }
        if off_session:
            # The holder is not there to be sent to their bank: Stripe declines
            # with `authentication_required` instead (cards are saved for it).
            params["off_session"] = True
        else:
            params["return_url"] = return_url
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            ).to_dict()
        except stripe.CardError as error:
            if error.code == "authentication_required":
                return ChargeResult(
                    ChargeStatus.FAILED,
                    _intent_of(error),
                    message=str(AUTHENTICATION_REQUIRED),
                )
            return ChargeResult(
                ChargeStatus.FAILED,
                _intent_of(error),
                message=error.user_message or _("Your card was declined."),
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        # Stripe's PaymentIntent statuses, as its API names them.
        status, intent_id = intent["status"], intent["id"]
        if status == "succeeded":
            return ChargeResult(ChargeStatus.SUCCEEDED, intent_id)
        if status == "requires_action":
            next_action = intent.get("next_action") or {}
            url = (next_action.get("redirect_to_url") or {}).get("url", "")
            return ChargeResult(ChargeStatus.REQUIRES_ACTION, intent_id, action_url=url)
        if status == "processing":
            return ChargeResult(ChargeStatus.PENDING, intent_id)
        return ChargeResult(ChargeStatus.FAILED, intent_id, message=_("Your card was declined."))

    def cancel(self, *, payment_ref: str, idempotency_key: str) -> ChargeResult:
        if not payment_ref:
            # No intent was ever named to us (the charge call was lost): nothing to
            # cancel by id. Should one succeed after all, its event is refunded.
            return ChargeResult(ChargeStatus.CANCELLED)
        try:
            intent = self.client.v1.payment_intents.cancel(
                payment_ref,
                params={"cancellation_reason": "requested_by_customer"},
                options={"idempotency_key": f"cancel-{idempotency_key}"},
            ).to_dict()
        except stripe.InvalidRequestError as error:
            # Too late to cancel: Stripe says what the intent became.
            intent = cast(dict, error.json_body or {}).get("error", {}).get("payment_intent") or {}
            if not intent.get("status"):
                raise _unavailable(error) from error
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        status = {
            "canceled": ChargeStatus.CANCELLED,
            "succeeded": ChargeStatus.SUCCEEDED,
            "processing": ChargeStatus.PENDING,
            "requires_capture": ChargeStatus.PENDING,
        }.get(intent["status"], ChargeStatus.FAILED)
        return ChargeResult(status, intent.get("id") or payment_ref)

    def refund(self, *, payment_ref: str, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_ref}, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return refund.id

    def page_context(self, *, user: User) -> dict:
        try:
            setup = self.client.v1.setup_intents.create(
                params={"customer": self.customer_id(user), "usage": "off_session"}
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return {
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "stripe_client_secret": setup.client_secret,
        }


def stripe_event(payload: bytes, signature: str) -> dict:
    """The verified event, or ValueError for a payload Stripe did not sign."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise ValueError(str(error)) from error
    return event.to_dict()


def _intent_of(error: stripe.CardError) -> str:
    """The PaymentIntent a card error names (Stripe puts it in the error)."""
    return (
        cast(dict, error.json_body or {}).get("error", {}).get("payment_intent", {}).get("id", "")
    )
