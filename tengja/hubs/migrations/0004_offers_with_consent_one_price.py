"""Offers wait for the professional's consent, and a session costs the same in
credits whoever gives it (one price per hub). Offers made before this were set up
by HR directly: they stay, as accepted; each hub takes its offers' usual price."""

from collections import Counter

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def carry_over(apps, schema_editor):
    Hub = apps.get_model("hubs", "Hub")
    HubProfessional = apps.get_model("hubs", "HubProfessional")
    now = django.utils.timezone.now()
    for hub in Hub.objects.all():
        prices = Counter(HubProfessional.objects.filter(hub=hub).values_list("credits", flat=True))
        if prices:
            hub.credits_per_session = prices.most_common(1)[0][0]
            hub.save(update_fields=["credits_per_session"])
    HubProfessional.objects.update(status="accepted", answered_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("hubs", "0003_backfill_booking_credits"),
        ("professionals", "0006_onboarding_and_deactivation"),
    ]

    operations = [
        migrations.AddField(
            model_name="hub",
            name="credits_per_session",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="credits per session"),
        ),
        migrations.AddField(
            model_name="hubprofessional",
            name="status",
            field=models.CharField(
                choices=[
                    ("asked", "Waiting for the professional"),
                    ("accepted", "Accepted"),
                    ("declined", "Declined"),
                ],
                default="asked",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="hubprofessional",
            name="asked_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="hubprofessional",
            name="answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="hubprofessional", name="hub_offer_costs_credits"),
        migrations.RemoveField(model_name="hubprofessional", name="credits"),
        migrations.AlterField(
            model_name="hubprofessional",
            name="session_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                to="professionals.sessiontype",
            ),
        ),
        migrations.AddConstraint(
            model_name="hubprofessional",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "accepted"), _negated=True),
                    ("session_type__isnull", False),
                    _connector="OR",
                ),
                name="hub_offer_accepted_with_a_session_type",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "active")),
                fields=("hub", "email"),
                name="one_active_membership_per_work_address",
            ),
        ),
    ]
