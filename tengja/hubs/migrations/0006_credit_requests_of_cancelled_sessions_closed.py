"""Credit requests made before they kept their session: it is read off the
ledger (the member's last credit session with that professional before the
request), and those still waiting whose session was cancelled, or whose member
has deleted their account, are closed, as they would have been.

Its own migration: on PostgreSQL, rows written in the migration that adds the
foreign key would hold up the index it creates at the end."""

from django.db import migrations
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
        ("accounts", "0003_add_user_erased_at"),
        ("hubs", "0005_credit_request_closes_with_session"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
