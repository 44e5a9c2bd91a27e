"""What the export holds about a person's work: as a professional (profile,
session types, hours, hubs that asked to offer them) and as HR (the companies
whose hubs they run). See export.py."""

from collections.abc import Iterator

from tengja.accounts.models import User
from tengja.hubs.models import Company, HubProfessional
from tengja.professionals.models import (
    AvailabilityException,
    Professional,
    SessionType,
    WeeklyAvailability,
)

CHUNK = 500


def hr_companies_of(user: User) -> list[dict]:
    companies = Company.objects.filter(admins=user).prefetch_related("hubs").order_by("name")
    return [
        {
            "company": company.name,
            "hubs": [
                {
                    "name": hub.name,
                    "welcome_text": hub.welcome_text,
                    "credits_per_period": hub.credits_per_period,
                    "period_months": hub.period_months,
                    "credits_per_session": hub.credits_per_session,
                    "time_zone": hub.time_zone,
                }
                for hub in company.hubs.all()
            ],
        }
        for company in companies
    ]


def professional_of(user: User) -> dict | None:
    professional = (
        Professional.objects.filter(user=user).prefetch_related("languages", "specialties").first()
    )
    if professional is None:
        return None
    return {
        "code": professional.code,
        "title": professional.title,
        "bio": professional.bio,
        "languages": [language.name for language in professional.languages.all()],
        "specialties": [specialty.name for specialty in professional.specialties.all()],
        "business_name": professional.business_name,
        "business_address": professional.business_address,
        "business_id": professional.business_id,
        "vat_number": professional.vat_number,
        "contact_email": professional.contact_email,
        "taking_new_bookings": professional.is_active,
        "paused_at": professional.deactivated_at,
        "calendar_rules": {
            "bookable_days": professional.bookable_days,
            "minimum_notice_hours": professional.min_notice_hours,
            "buffer_minutes": professional.buffer_minutes,
            "start_times_every_minutes": professional.slot_interval_minutes,
        },
    }


def session_types_of(user: User) -> Iterator[dict]:
    kinds = SessionType.objects.filter(professional__user=user).order_by("name", "pk")
    for kind in kinds.iterator(CHUNK):
        yield {
            "name": kind.name,
            "duration_minutes": kind.duration_minutes,
            "price_amount": kind.price_amount,
            "currency": kind.currency,
            "mode": kind.mode,
            "address": kind.address,
            "cancellation_notice_hours": kind.cancellation_notice_hours,
            "offered": kind.is_active,
        }


def availability_of(user: User) -> dict:
    weekly = WeeklyAvailability.objects.filter(professional__user=user)
    exceptions = AvailabilityException.objects.filter(professional__user=user)
    return {
        "weekly_hours": [
            {"weekday": hours.get_weekday_display(), "from": hours.starts, "until": hours.ends}
            for hours in weekly.order_by("weekday", "starts")
        ],
        "exceptions": [
            {
                "date": exception.date,
                "kind": exception.kind,
                "from": exception.starts,
                "until": exception.ends,
                "last_day": exception.ends_on,
                "label": exception.label,
                "every_week": exception.repeats_weekly,
                "repeat_until": exception.repeat_until,
            }
            for exception in exceptions.order_by("date", "starts")
        ],
    }


def hub_offers_of(user: User) -> Iterator[dict]:
    offers = (
        HubProfessional.objects.filter(professional__user=user)
        .select_related("hub__company", "session_type")
        .order_by("asked_at", "pk")
    )
    for offer in offers.iterator(CHUNK):
        yield {
            "hub": offer.hub.name,
            "company": offer.hub.company.name,
            "status": offer.status,
            "session_type": offer.session_type.name if offer.session_type else None,
            "asked_at": offer.asked_at,
            "answered_at": offer.answered_at,
        }
