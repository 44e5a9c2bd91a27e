from django.core.management.base import BaseCommand

from tengja.privacy.services import data_exports_sweep


class Command(BaseCommand):
    help = (
        "Delete data export files whose link has expired. Each is also removed by a "
        "task scheduled for its expiry; this catches any whose task was lost."
    )

    def handle(self, *args, **options) -> None:
        count = data_exports_sweep()
        self.stdout.write(f"{count} expired data export(s) deleted.")
