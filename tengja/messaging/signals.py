"""A message's file goes with its row, however the row goes: removal and
account deletion blank it themselves (services.py), and this catches the
rest, e.g. a conversation deleted with a professional's account by support."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from tengja.messaging.files import storage
from tengja.messaging.models import Message


@receiver(post_delete, sender=Message, dispatch_uid="messaging-file-with-its-row")
def file_with_its_row(sender, instance: Message, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: storage().delete(name))
