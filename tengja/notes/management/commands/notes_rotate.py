from django.core.management.base import BaseCommand

from tengja.notes.services import notes_rotate


class Command(BaseCommand):
    help = (
        "Encrypt every session note again with the first key of NOTES_KEYS. Put the new "
        "key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options) -> None:
        count = notes_rotate()
        self.stdout.write(f"{count} notes, addenda and templates encrypted with the first key.")
