from django.utils import timezone

from tengja.accounts.models import EmailChange, User


def email_change_waiting(*, user: User) -> EmailChange | None:
    """The change of address still waiting for its confirmation link, if any."""
    return (
        EmailChange.objects.filter(
            user=user, confirmed_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created_at")
        .first()
    )
