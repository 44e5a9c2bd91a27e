"""Sessions booked with credits before bookings kept how many: read it off the
ledger's spend entry."""

from django.db import migrations


def backfill(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    CreditEntry = apps.get_model("hubs", "CreditEntry")
    for booking_id, amount in CreditEntry.objects.filter(
        kind="spend", booking__isnull=False, booking__credits__isnull=True
    ).values_list("booking_id", "amount"):
        Booking.objects.filter(pk=booking_id).update(credits=-amount)


class Migration(migrations.Migration):
    dependencies = [
        ("hubs", "0002_credits_memberships_offers"),
        ("bookings", "0004_credits_spent"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
