from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from tengja.accounts.models import User
from tengja.professionals.models import (
    Professional,
    ProfessionalInvitation,
    SessionType,
    WeeklyAvailability,
)


def professional_for_user(*, user: User) -> Professional:
    """The signed-in user's own professional profile; 404 for anyone who has none."""
    try:
        return Professional.objects.select_related("user").get(user=user)
    except Professional.DoesNotExist:
        raise Http404 from None


def professional_of(*, user: User) -> Professional | None:
    """The user's professional profile, or None for a client or HR admin; with what
    the set-up checklist needs (see Professional.is_set_up), in the same query."""
    return professionals_with_checklist(user=user).first()


def professionals_with_checklist(*, user: User) -> QuerySet[Professional]:
    """`professional_of`'s query, for a page that asks more of the practice in it."""
    return Professional.objects.filter(user=user).annotate(
        has_session_types=Exists(
            SessionType.objects.filter(professional=OuterRef("pk"), is_active=True)
        ),
        has_hours=Exists(WeeklyAvailability.objects.filter(professional=OuterRef("pk"))),
    )


def professional_public(*, code: str) -> Professional:
    return get_object_or_404(
        Professional.objects.select_related("user").prefetch_related("languages", "specialties"),
        code=code,
    )


def session_type_for_professional(*, professional: Professional, code: str) -> SessionType:
    return get_object_or_404(SessionType, professional=professional, code=code)


# ------------------------------------------------------------------ for operators


def professionals_for_staff() -> QuerySet[Professional]:
    """Every professional, for the operators' list: set-up state and session counts
    in one query, however many there are (paginate it)."""
    return (
        Professional.objects.select_related("user")
        .annotate(
            has_session_types=Exists(
                SessionType.objects.filter(professional=OuterRef("pk"), is_active=True)
            ),
            has_hours=Exists(WeeklyAvailability.objects.filter(professional=OuterRef("pk"))),
            # Every session ever booked, cancelled ones too (bookings is a later app).
            sessions=Count("bookings"),
        )
        .order_by("-is_active", "user__name")
    )


def professional_invitations_open() -> QuerySet[ProfessionalInvitation]:
    return ProfessionalInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def professional_invitation_open(*, code: str) -> ProfessionalInvitation:
    return get_object_or_404(professional_invitations_open(), code=code)


def professional_by_code(*, code: str) -> Professional:
    return get_object_or_404(Professional.objects.select_related("user"), code=code)
