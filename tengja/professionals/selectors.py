from django.http import Http404
from django.shortcuts import get_object_or_404

from tengja.accounts.models import User
from tengja.professionals.models import Professional, SessionType


def professional_for_user(*, user: User) -> Professional:
    """The signed-in user's own professional profile; 404 for anyone who has none."""
    try:
        return Professional.objects.select_related("user").get(user=user)
    except Professional.DoesNotExist:
        raise Http404 from None


def professional_of(*, user: User) -> Professional | None:
    """The user's professional profile, or None for a client or HR admin."""
    return Professional.objects.filter(user=user).first()


def professional_public(*, code: str) -> Professional:
    return get_object_or_404(
        Professional.objects.select_related("user").prefetch_related("languages", "specialties"),
        code=code,
    )


def session_type_for_professional(*, professional: Professional, code: str) -> SessionType:
    return get_object_or_404(SessionType, professional=professional, code=code)
