from functools import cache

from django.http import HttpRequest

from tengja.hubs.models import Membership
from tengja.notifications.selectors import unread_count
from tengja.professionals.selectors import professional_of_request


def header(request: HttpRequest) -> dict:
    """What the header shows of the signed-in person, read from the database on
    each request that shows it: the unread count, the hub behind the
    house-and-heart icon, and whether they have a practice. Each is a callable
    that templates call, so a page that shows no header asks nothing; it gets a
    real value (Icelandic's plural rule takes `n % 10` of the count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread() -> int:
        return unread_count(user=user)

    @cache
    def member_hub() -> dict | None:
        # Shown from the moment a person joins: a pending member is taken to the
        # hub's page, which asks them to confirm their work address; an active one
        # to browse.
        membership = (
            Membership.objects.filter(
                user=user, status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]
            )
            .order_by("status", "joined_at")  # "active" sorts before "pending"
            .values("status", "hub__code")
            .first()
        )
        return membership and {
            "is_active": membership["status"] == Membership.Status.ACTIVE,
            "hub": {"code": membership["hub__code"]},
        }

    return {
        "unread_notifications": unread,
        "member_hub": member_hub,
        # Shared with the view, which may have looked it up already.
        "has_practice": lambda: professional_of_request(request) is not None,
    }
