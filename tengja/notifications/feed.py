"""The private calendar feed address: a secret derived from the user and a
version number, so nothing secret is stored and a new version revokes the old."""

from django.utils.crypto import constant_time_compare, salted_hmac

from tengja.accounts.models import User
from tengja.notifications.models import Preferences


def feed_token(*, user_id: int, version: int) -> str:
    return salted_hmac(
        "tengja.calendar-feed", f"{user_id}:{version}", algorithm="sha256"
    ).hexdigest()[:40]


def feed_token_for(*, user: User) -> str:
    preferences = preferences_for(user=user)
    return feed_token(user_id=user.pk, version=preferences.feed_version)


def feed_user(*, user_id: int, token: str) -> User | None:
    if not 0 < user_id < 2**63:  # no such id; SQLite cannot even compare a larger one
        return None
    preferences = (
        Preferences.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .first()
    )
    if preferences is None:
        return None
    expected = feed_token(user_id=user_id, version=preferences.feed_version)
    return preferences.user if constant_time_compare(expected, token) else None


def preferences_for(*, user: User) -> Preferences:
    preferences, _ = Preferences.objects.get_or_create(user=user)
    return preferences


def feed_revoke(*, user: User) -> None:
    from django.db.models import F

    preferences_for(user=user)
    Preferences.objects.filter(user=user).update(feed_version=F("feed_version") + 1)
