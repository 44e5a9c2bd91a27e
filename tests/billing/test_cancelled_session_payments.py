"""A payment completed after its session was cancelled (issue #26): the bill is
void, nothing is owed, and the money goes back. Every place that shows it says
so, never "Thank you: the bill is paid": the page after paying, the bill, the
Payments list and the e-mails, in English and in Icelandic."""

import pytest
from django.core import mail
from django.urls import reverse

from tengja.billing.models import LocalIntent, Payment, Refund
from tengja.billing.services import invoice_pay, new_payment_key
from tengja.bookings.services import booking_cancel
from tengja.notifications.models import Notification
from tests.billing.conftest import AUTHENTICATE, add_card

SAID = {
    "en": {
        "nothing_taken": "This payment was cancelled because the session was cancelled. "
        "Nothing was taken from Visa •••• 3184.",
        "returned_now": "The session was cancelled before your payment went through, so there "
        "is nothing to pay. Your payment is being returned to your card",
        "bill": "The session was cancelled, so this bill is void and there is nothing to pay. "
        "Your payment went through after the cancellation, so it goes back to your card.",
        "list_returning": "session cancelled, your payment is being returned",
        "list_returned": "session cancelled, your payment was returned",
        "paid": "Thank you",
        "subject": "Your payment for invoice {number} is being returned",
    },
    "is": {
        "nothing_taken": "Hætt var við þessa greiðslu af því að tíminn var afbókaður. "
        "Ekkert var tekið af Visa •••• 3184.",
        "returned_now": "Tíminn var afbókaður áður en greiðslan þín gekk í gegn, svo það er "
        "ekkert að greiða. Greiðslan er endurgreidd á kortið þitt",
        "bill": "Tíminn var afbókaður, svo reikningurinn er ógildur og það er ekkert að greiða. "
        "Greiðslan þín gekk í gegn eftir afbókunina, svo hún er endurgreidd á kortið þitt.",
        "list_returning": "tíminn afbókaður, greiðslan þín er í endurgreiðslu",
        "list_returned": "tíminn afbókaður, greiðslan þín var endurgreidd",
        "paid": "Takk",
        "subject": "Greiðslan þín vegna reiknings {number} er endurgreidd",
    },
}


@pytest.fixture(params=["en", "is"])
def language(request, alice):
    alice.language = request.param
    alice.save(update_fields=["language"])
    return request.param


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_the_bank_page_after_the_session_was_cancelled_takes_nothing_and_says_so(
    client, alice, invoice, language, django_capture_on_commit_callbacks
):
    card = add_card(alice, AUTHENTICATE)
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=invoice.booking, by=alice)
    payment.refresh_from_db()
    assert (payment.status, payment.cancel_reason) == ("cancelled", "session_cancelled")
    assert LocalIntent.objects.get(intent_id=payment.provider_ref).status == "canceled"
    client.force_login(alice)
    url = reverse("billing:local_authenticate", args=[payment.provider_ref])
    assert SAID[language]["nothing_taken"] in text(client.get(url))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"outcome": "complete"}, follow=True)
    body = text(response)
    assert SAID[language]["nothing_taken"] in body
    assert SAID[language]["paid"] not in body
    payment.refresh_from_db()
    assert payment.status == "cancelled" and payment.succeeded_at is None
    assert not Refund.objects.exists() and not mail.outbox


def test_a_payment_the_bank_took_after_the_session_was_cancelled_says_it_goes_back(
    client, alice, invoice, language, django_capture_on_commit_callbacks
):
    card = add_card(alice, AUTHENTICATE)
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    # Its cancellation never reached the provider (the call after commit was lost),
    # so the bank's page still takes the money.
    booking_cancel(booking=invoice.booking, by=alice)
    client.force_login(alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as after_commit:
        response = client.post(
            reverse("billing:local_authenticate", args=[payment.provider_ref]),
            {"outcome": "complete"},
        )
    said = SAID[language]
    bill = text(client.get(response["Location"]))
    assert said["returned_now"] in bill and said["bill"] in bill
    assert said["paid"] not in bill
    # The Payments list, before the provider has given the money back, and after.
    assert said["list_returning"] in text(client.get(reverse("billing:payments")))
    for callback in after_commit:
        callback()
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert (payment.status, invoice.status) == ("cancelled", "void")
    assert Refund.objects.get(payment=payment).status == "succeeded"
    assert LocalIntent.objects.get(intent_id=payment.provider_ref).status == "refunded"
    payments = text(client.get(reverse("billing:payments")))
    assert said["list_returned"] in payments and said["list_returning"] not in payments
    assert said["bill"] in text(client.get(reverse("billing:invoice", args=[invoice.code])))
    # No receipt thanks them for paying: an e-mail says why they see a charge.
    [returned] = mail.outbox
    assert returned.to == [alice.email]
    assert returned.subject == said["subject"].format(number=invoice.display_number)
    assert said["returned_now"] in returned.body
    assert said["returned_now"] in returned.alternatives[0][0]
    assert "Visa •••• 3184" in returned.body
    assert Notification.objects.filter(user=alice, kind="refunded").exists()
    assert not Notification.objects.filter(kind="payment_received").exists()


def test_the_professional_sees_the_payment_going_back(
    client, alice, professional, invoice, django_capture_on_commit_callbacks
):
    card = add_card(alice, AUTHENTICATE)
    payment = invoice_pay(invoice=invoice, method=card, payment_key=new_payment_key())
    booking_cancel(booking=invoice.booking, by=alice)
    LocalIntent.objects.filter(intent_id=payment.provider_ref).update(status="succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        from tengja.billing.services import payment_cancel_at_provider

        payment_cancel_at_provider(payment_id=payment.pk)  # too late: it succeeded
    client.force_login(professional.user)
    body = text(client.get(reverse("billing:invoice", args=[invoice.code])))
    assert "The client's payment went through after the cancellation" in body
    assert Payment.objects.get().status == "cancelled"
