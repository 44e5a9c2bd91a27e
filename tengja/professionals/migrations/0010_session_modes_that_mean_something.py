from django.db import migrations


def modes_as_they_behaved(apps, schema_editor):
    """Until now every session was a video call whatever its type's mode said.
    Types marked phone, or in person (no address was ever asked), become video,
    as they behaved: an on-site type must now give its address."""
    SessionType = apps.get_model("professionals", "SessionType")
    SessionType.objects.exclude(mode="video").update(mode="video")


class Migration(migrations.Migration):
    dependencies = [
        ("professionals", "0009_terms_and_cancellation_policy"),
    ]

    operations = [
        migrations.RunPython(modes_as_they_behaved, migrations.RunPython.noop),
    ]
