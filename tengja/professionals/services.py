"""A professional's own settings: session types, public profile, weekly hours and
days off. Each write is one function; views only parse and check access."""

from datetime import date, time

from django.db import transaction

from tengja.professionals.models import (
    AvailabilityException,
    Language,
    Professional,
    SessionType,
    Specialty,
    WeeklyAvailability,
)


def session_type_save(
    *,
    professional: Professional,
    session_type: SessionType | None,
    name: str,
    duration_minutes: int,
    price_amount: int,
    currency: str,
    mode: str,
    cancellation_notice_hours: int,
) -> SessionType:
    """Create a session type, or change one (booked sessions keep their price)."""
    session_type = session_type or SessionType(professional=professional)
    session_type.name = name
    session_type.duration_minutes = duration_minutes
    session_type.price_amount = price_amount
    session_type.currency = currency
    session_type.mode = mode
    session_type.cancellation_notice_hours = cancellation_notice_hours
    session_type.save()
    return session_type


def session_type_set_offered(*, session_type: SessionType, offered: bool) -> None:
    """Stop offering a session type (nobody can be invited to it), or offer it again."""
    session_type.is_active = offered
    session_type.save(update_fields=["is_active"])


def professional_profile_update(
    *,
    professional: Professional,
    title: str,
    bio: str,
    languages: list[Language],
    specialties: list[Specialty],
) -> None:
    with transaction.atomic():
        professional.title = title
        professional.bio = bio
        professional.save(update_fields=["title", "bio"])
        professional.languages.set(languages)
        professional.specialties.set(specialties)


def availability_window_add(
    *, professional: Professional, weekday: int, starts: time, ends: time
) -> WeeklyAvailability:
    return WeeklyAvailability.objects.create(
        professional=professional, weekday=weekday, starts=starts, ends=ends
    )


def availability_window_remove(*, professional: Professional, code: str) -> None:
    professional.weekly_availability.filter(code=code).delete()


def availability_exception_add(
    *, professional: Professional, date: date, kind: str, starts: time | None, ends: time | None
) -> AvailabilityException:
    return AvailabilityException.objects.create(
        professional=professional, date=date, kind=kind, starts=starts, ends=ends
    )


def availability_exception_remove(*, professional: Professional, code: str) -> None:
    professional.availability_exceptions.filter(code=code).delete()


def professional_business_update(
    *,
    professional: Professional,
    business_name: str,
    business_address: str,
    business_id: str,
    vat_number: str,
) -> None:
    """What new invoices print about who bills (issued ones keep what they said)."""
    professional.business_name = business_name.strip()
    professional.business_address = business_address.strip()
    professional.business_id = business_id.strip()
    professional.vat_number = vat_number.strip()
    professional.save(
        update_fields=["business_name", "business_address", "business_id", "vat_number"]
    )
