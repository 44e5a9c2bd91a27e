"""A person's choice of the e-mail that says a message waits unread (shown
on the notification settings page, with their other e-mails). No row: they
want it (MessagePreferences.email_unread's default)."""

from django.db import transaction

from tengja.accounts.models import User
from tengja.messaging.models import MessagePreferences


def email_unread_wanted(*, user: User) -> bool:
    return not MessagePreferences.objects.filter(user=user, email_unread=False).exists()


def email_unread_set(*, user: User, email_unread: bool) -> None:
    """Turn the unread e-mail on or off. Turning it on again e-mails only of
    unread messages from then on (tengja.messaging.notify claims, and so
    silences, a stretch that came due while it was off)."""
    with transaction.atomic():
        MessagePreferences.objects.update_or_create(
            user=user, defaults={"email_unread": email_unread}
        )
