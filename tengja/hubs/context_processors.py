from functools import cache

from django.http import HttpRequest

from tengja.hubs.models import Membership


def hubs(request: HttpRequest) -> dict:
    """The membership behind the header's house-and-heart icon, looked up only if shown.

    Shown from the moment a person joins: a pending member is taken to the hub's
    page, which asks them to confirm their work address; an active one to browse.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def member_hub() -> Membership | None:
        return (
            Membership.objects.filter(
                user=user, status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]
            )
            .select_related("hub")
            .order_by("status", "joined_at")  # "active" sorts before "pending"
            .first()
        )

    return {"member_hub": member_hub}
