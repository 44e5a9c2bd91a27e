"""Weekly hours and days off get a public code, so the addresses that remove them
name a code rather than a row number."""

import tengja.lib.codes
from django.db import migrations, models


def give_codes(apps, schema_editor):
    for name in ("WeeklyAvailability", "AvailabilityException"):
        model = apps.get_model("professionals", name)
        for row in model.objects.filter(code__isnull=True).only("pk"):
            model.objects.filter(pk=row.pk).update(code=tengja.lib.codes.public_code())


class Migration(migrations.Migration):
    dependencies = [("professionals", "0003_availability_exceptions")]

    operations = [
        migrations.AddField(
            model_name="weeklyavailability",
            name="code",
            field=models.CharField(editable=False, max_length=16, null=True),
        ),
        migrations.AddField(
            model_name="availabilityexception",
            name="code",
            field=models.CharField(editable=False, max_length=16, null=True),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="weeklyavailability",
            name="code",
            field=models.CharField(
                default=tengja.lib.codes.public_code, editable=False, max_length=16, unique=True
            ),
        ),
        migrations.AlterField(
            model_name="availabilityexception",
            name="code",
            field=models.CharField(
                default=tengja.lib.codes.public_code, editable=False, max_length=16, unique=True
            ),
        ),
    ]
