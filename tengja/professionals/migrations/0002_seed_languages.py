from django.db import migrations

LANGUAGES = [
    ("is", "Íslenska"),
    ("en", "English"),
    ("pl", "Polski"),
    ("da", "Dansk"),
    ("sv", "Svenska"),
    ("no", "Norsk"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("lt", "Lietuvių"),
    ("uk", "Українська"),
]


def seed(apps, schema_editor):
    Language = apps.get_model("professionals", "Language")
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("professionals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
