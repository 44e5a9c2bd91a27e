"""A credit request keeps the session it was asked from, and closes with it.

Requests made before: their session is read off the ledger (the member's last
credit session with that professional before the request), and those still
waiting whose session was cancelled, or whose member has deleted their
account, are closed, as they would have been."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone


def backfill(apps, schema_editor):
    CreditRequest = apps.get_model("hubs", "CreditRequest")
    CreditEntry = apps.get_model("hubs", "CreditEntry")
    for request in CreditRequest.objects.filter(booking__isnull=True).iterator():
        booking_id = (
            CreditEntry.objects.filter(
                membership_id=request.membership_id,
                kind="spend",
                booking__professional_id=request.professional_id,
                created_at__lte=request.created_at,
            )
            .order_by("-created_at", "-id")
            .values_list("booking_id", flat=True)
            .first()
        )
        if booking_id:
            CreditRequest.objects.filter(pk=request.pk).update(booking_id=booking_id)
    waiting = CreditRequest.objects.filter(status="pending")
    now = timezone.now()
    waiting.filter(booking__status="cancelled").update(status="closed", decided_at=now)
    waiting.filter(membership__user__erased_at__isnull=False).update(
        status="closed", decided_at=now
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_add_user_erased_at'),
        ('bookings', '0004_credits_spent'),
        ('hubs', '0004_offers_with_consent_one_price'),
    ]

    operations = [
        migrations.AddField(
            model_name='creditrequest',
            name='booking',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bookings.booking'),
        ),
        migrations.AlterField(
            model_name='creditrequest',
            name='status',
            field=models.CharField(choices=[('pending', 'Waiting'), ('approved', 'Approved'), ('declined', 'Declined'), ('closed', 'Closed')], default='pending', max_length=10),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
