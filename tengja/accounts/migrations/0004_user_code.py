"""A public code for each user: added empty, filled row by row (a callable
default is evaluated once for a whole table), then made unique."""

from django.db import migrations, models

import tengja.lib.codes


def fill_codes(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(code="").only("pk").iterator():
        User.objects.filter(pk=user.pk).update(code=tengja.lib.codes.public_code())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_add_user_erased_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="code",
            field=models.CharField(default="", editable=False, max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="code",
            field=models.CharField(
                default=tengja.lib.codes.public_code, editable=False, max_length=16, unique=True
            ),
        ),
    ]
