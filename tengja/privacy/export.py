"""Everything Tengja holds about a person, as a ZIP of JSON files and their picture.

Each list is read with a database iterator and written into the archive one row
at a time, so neither the number of queries nor the memory grows with the
person's history: a task can make it for anyone.
"""

import io
import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tengja.accounts.models import User
from tengja.billing.models import Invoice, PaymentMethod
from tengja.bookings.models import Booking
from tengja.hubs.models import CreditEntry, Membership
from tengja.notifications.models import Notification, Preferences
from tengja.professionals.models import Professional

CHUNK = 500

README = """Your data from Tengja, made {made}.

profile.json            your account: name, e-mail, language, time zone, dates
                        (and the contact e-mail on your page, as a professional)
sessions.json           sessions you booked or held (as a professional, without
                        your clients' names: those are theirs)
invoices.json           bills to you, and bills you issued as a professional
notifications.json      the notifications in the app
credits.json            Wellbeing Hub credits granted, spent, refunded, expired
hub_memberships.json    Wellbeing Hubs you joined, with the work address
payment_methods.json    saved cards: brand, last four digits and expiry only
                        (card numbers never reach Tengja)
picture.jpg             your profile picture, if you have one

Times are in UTC (ISO 8601). Amounts are in minor units of the currency
(ISK has none, so 15000 ISK is 15,000 kr.).
"""


def _write_json(archive: zipfile.ZipFile, name: str, value: object) -> None:
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        json.dump(value, out, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        out.write("\n")


def _write_json_list(archive: zipfile.ZipFile, name: str, rows: Iterable[dict]) -> None:
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write("[")
        for number, row in enumerate(rows):
            out.write(",\n " if number else "\n ")
            out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
        out.write("\n]\n")


def _profile(user: User) -> dict:
    preferences = Preferences.objects.filter(user=user).first()
    return {
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "terms_version": user.terms_version,
        "terms_accepted_at": user.terms_accepted_at,
        "two_step_sign_in": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "email_reminders": preferences.email_reminders if preferences else True,
        # A professional's contact e-mail, shown on their page (empty if none).
        "professional_contact_email": Professional.objects.filter(user=user)
        .values_list("contact_email", flat=True)
        .first(),
    }


def _sessions(user: User) -> Iterator[dict]:
    bookings = (
        Booking.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "session_type")
        .order_by("starts_at", "pk")
    )
    for booking in bookings.iterator(chunk_size=CHUNK):
        as_client = booking.client_id == user.pk
        yield {
            "code": booking.code,
            "role": "client" if as_client else "professional",
            "professional": booking.professional.user.name if as_client else None,
            "session_type": booking.session_type.name,
            "starts_at": booking.starts_at,
            "ends_at": booking.ends_at,
            "status": booking.status,
            "paid_with": booking.paid_with,
            "price_amount": booking.price_amount,
            "currency": booking.currency,
            "booked_at": booking.created_at,
            "cancelled_at": booking.cancelled_at,
            "cancelled_by": booking.cancelled_by or None,
            "late_cancellation": booking.late_cancellation,
        }


def _invoices(user: User) -> Iterator[dict]:
    invoices = (
        Invoice.objects.filter(Q(booking__client=user) | Q(professional__user=user))
        .select_related("professional__user", "booking")
        .order_by("issued_at", "pk")
    )
    for invoice in invoices.iterator(chunk_size=CHUNK):
        to_you = invoice.booking.client_id == user.pk
        yield {
            "number": invoice.display_number,
            "kind": invoice.kind,
            "role": "client" if to_you else "professional",
            "from": invoice.professional.user.name,
            "session": invoice.booking.code,
            "description": invoice.description,
            "amount": invoice.amount,
            "currency": invoice.currency,
            "status": invoice.status,
            "issued_at": invoice.issued_at,
            "paid_at": invoice.paid_at,
            "voided_at": invoice.voided_at,
            "refunded_at": invoice.refunded_at,
        }


def _notifications(user: User) -> Iterator[dict]:
    notifications = (
        Notification.objects.filter(user=user).select_related("booking").order_by("created_at")
    )
    for notification in notifications.iterator(chunk_size=CHUNK):
        yield {
            "kind": notification.kind,
            "session": notification.booking.code if notification.booking else None,
            "created_at": notification.created_at,
            "read_at": notification.read_at,
        }


def _credits(user: User) -> Iterator[dict]:
    entries = (
        CreditEntry.objects.filter(membership__user=user)
        .select_related("membership__hub", "booking")
        .order_by("created_at", "pk")
    )
    for entry in entries.iterator(chunk_size=CHUNK):
        yield {
            "hub": entry.membership.hub.name,
            "kind": entry.kind,
            "amount": entry.amount,
            "session": entry.booking.code if entry.booking else None,
            "created_at": entry.created_at,
            "expires_at": entry.expires_at,
        }


def _memberships(user: User) -> Iterator[dict]:
    memberships = Membership.objects.filter(user=user).select_related("hub__company")
    for membership in memberships.order_by("joined_at").iterator(chunk_size=CHUNK):
        yield {
            "hub": membership.hub.name,
            "company": membership.hub.company.name,
            "work_email": membership.email,
            "status": membership.status,
            "joined_at": membership.joined_at,
            "verified_at": membership.verified_at,
            "removed_at": membership.removed_at,
        }


def _payment_methods(user: User) -> Iterator[dict]:
    for method in (
        PaymentMethod.objects.filter(user=user).order_by("created_at").iterator(chunk_size=CHUNK)
    ):
        yield {
            "brand": method.brand,
            "last4": method.last4,
            "exp_month": method.exp_month,
            "exp_year": method.exp_year,
            "default": method.is_default,
            "added_at": method.created_at,
            "removed_at": method.removed_at,
        }


def export_write(*, user: User, out: IO[bytes]) -> None:
    """Write the person's ZIP to `out`."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(made=timezone.now().isoformat()))
        _write_json(archive, "profile.json", _profile(user))
        _write_json_list(archive, "sessions.json", _sessions(user))
        _write_json_list(archive, "invoices.json", _invoices(user))
        _write_json_list(archive, "notifications.json", _notifications(user))
        _write_json_list(archive, "credits.json", _credits(user))
        _write_json_list(archive, "hub_memberships.json", _memberships(user))
        _write_json_list(archive, "payment_methods.json", _payment_methods(user))
        if user.picture:
            with user.picture.open("rb") as picture, archive.open("picture.jpg", "w") as copy:
                shutil.copyfileobj(picture, copy)
