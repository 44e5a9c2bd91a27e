from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tengja.hubs.models import Membership


def hubs(request: HttpRequest) -> dict:
    """The hub behind the header's house-and-heart icon, looked up only if shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def first_hub():
        membership = (
            Membership.objects.filter(user=user, status=Membership.Status.ACTIVE)
            .select_related("hub")
            .first()
        )
        return membership.hub if membership else ""

    return {"member_hub": SimpleLazyObject(first_hub)}
