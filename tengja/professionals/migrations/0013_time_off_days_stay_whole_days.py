from django.db import migrations


def whole_days(apps, schema_editor):
    """A day off was always the whole day, whatever times the form was sent with;
    time off now reads its times, so the old days off drop theirs."""
    exception = apps.get_model("professionals", "AvailabilityException")
    exception.objects.filter(kind="off").update(starts=None, ends=None)


class Migration(migrations.Migration):
    dependencies = [
        ("professionals", "0012_calendar_rules_and_time_off"),
    ]

    operations = [migrations.RunPython(whole_days, migrations.RunPython.noop)]
