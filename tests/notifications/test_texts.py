"""Each kind of notification reads as a sentence in the reader's language and
time zone, naming the other person as the reader may know them."""

import zoneinfo

from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice
from tengja.notifications.models import Notification

SENTENCES = {
    "en": {
        "booked": "New booking: Individual session with {name}, {when}",
        "moved": "Moved: Individual session with {name} is now {when}",
        "cancelled": "Cancelled: Individual session, {when}",
        "upcoming": "Coming up: Individual session with {name}, {when}",
        "payment_due": "Payment due: ISK\xa015,000 for Individual session with {name}, {when}",
        "payment_received": "Payment received: ISK\xa015,000 for Individual session, {when}",
        "refunded": "Refunded: ISK\xa015,000 for Individual session, {when}",
        "dispute_opened": "Payment disputed: ISK\xa015,000 for Individual session, {when}",
        "dispute_closed": "Dispute closed: ISK\xa015,000 for Individual session, {when}",
    },
    "is": {
        "booked": "Ný bókun: Individual session – {name}, {when}",
        "payment_due": "Greiðsla á gjalddaga: 15.000\xa0kr. fyrir Individual session hjá {name}, {when}",
        "dispute_closed": "Andmælum lokið: 15.000\xa0kr. fyrir Individual session, {when}",
    },
}
WHEN = {"en": "%d/%m/%Y %H:%M", "is": "%-d.%-m.%Y %H:%M"}


def test_every_kind_reads_in_the_readers_language_and_zone(client, alice, professional, book):
    booking = book(alice.email)
    invoice = Invoice.objects.get(booking=booking)
    Notification.objects.filter(user=alice).delete()
    bills = {"payment_due", "payment_received", "refunded", "dispute_opened", "dispute_closed"}
    for kind in SENTENCES["en"]:
        Notification.objects.create(
            user=alice, kind=kind, booking=booking, invoice=invoice if kind in bills else None
        )
    client.force_login(alice)
    for language, zone in (("en", "America/New_York"), ("is", "Atlantic/Reykjavik")):
        alice.language, alice.time_zone = language, zone
        alice.save()
        local = timezone.localtime(booking.starts_at, zoneinfo.ZoneInfo(zone))
        when = local.strftime(WHEN[language])
        page = client.get(reverse("notifications:list")).content.decode()
        for sentence in SENTENCES[language].values():
            assert sentence.format(name=professional.user.name, when=when) in page


def test_the_professional_sees_the_invited_address_until_the_client_is_known(
    client, professional, book
):
    booking = book("new.client@example.com")
    Notification.objects.create(user=professional.user, kind="booked", booking=booking)
    client.force_login(professional.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "New booking: Individual session with new.client@example.com" in page
