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

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tengja.accounts.models import EmailChange, User
from tengja.billing.models import Invoice, Payment, PaymentMethod, StripeCustomer
from tengja.bookings.models import Booking, Invitation
from tengja.hubs.models import CreditEntry, CreditRequest, Membership
from tengja.messaging.models import MessagePreferences
from tengja.notifications.models import Delivery, Notification, Preferences
from tengja.privacy.export_intake import (
    client_details_of,
    form_responses_of,
    intake_forms_of,
    session_requests_of,
)
from tengja.privacy.export_measures import measure_shares_of, measures_of
from tengja.privacy.export_messages import files_copy, messages_of
from tengja.privacy.export_notes import note_templates_of, notes_of
from tengja.privacy.export_practice import (
    availability_of,
    hr_companies_of,
    hub_offers_of,
    professional_of,
    session_types_of,
)
from tengja.privacy.export_wellbeing import wellbeing_of, wellbeing_shares_of
from tengja.privacy.models import DataExport
from tengja.professionals.models import ProfessionalInvitation

CHUNK = 500

README = """Your data from Tengja, made {made}.

profile.json            your account: name, e-mail, language, time zone, dates,
                        two-step sign-in on or off, reminder setting, groups and
                        permissions (operators), your customer id at the
                        payment provider
email_changes.json      changes of e-mail address you asked for
sign_ins.json           sign-ins and failed attempts with your address: when,
                        from which network address and browser
sessions.json           sessions you booked or held (as a professional, without
                        your clients' names: those are theirs)
invitations.json        invitations to sessions you received or sent, and to
                        join as a professional (the addresses you sent them to
                        are your clients' and are left out)
invoices.json           bills to you, and bills you issued as a professional
payments.json           payments of those bills, and their refunds
notifications.json      the notifications in the app
emails.json             e-mails about your sessions: which, when due, when sent
credits.json            Wellbeing Hub credits granted, spent, refunded, expired
credit_requests.json    requests for more credits you made as a professional, or
                        that a professional made for you
hub_memberships.json    Wellbeing Hubs you joined, with the work address
hr_companies.json       companies whose Wellbeing Hubs you run as HR, and the hubs
payment_methods.json    saved cards: brand, last four digits and expiry only
                        (card numbers never reach Tengja)
professional.json       as a professional: title, bio, languages, specialties,
                        business name and address, ID number (kennitala), VAT
                        number, the contact e-mail on your page, whether you
                        take new bookings
session_types.json      as a professional: your session types and prices
availability.json       as a professional: weekly hours and days off or extra hours
hub_offers.json         as a professional: hubs that asked to offer you, and your answer
data_exports.json       when you asked for your data before
session_requests.json   sessions you asked a professional for on their booking
                        page, or clients asked you for, and the answers
client_details.json     details you gave a professional before your first
                        session (address, phone, ...), or clients gave you
intake_forms.json       as a professional: the intake forms and consents you wrote
forms.json              forms you filled in and consents you signed, each with
                        the exact text you saw; as a professional, your clients'
                        answers (your clinical record of them)
measures.json           questionnaires (PHQ-9, GAD-7) a professional sent you and
                        your answers with their scores; as a professional, those
                        you sent and your clients' answers (your clinical record)
measure_shares.json     professionals you share your scores with, or clients who
                        share theirs with you
notes.json              as a professional: your private session notes, decrypted,
                        with their addenda (a client's archive has none: the
                        notes are the professional's record)
note_templates.json     as a professional: the note templates you wrote
wellbeing.json          your answers to your Wellbeing Hub's WHO-5 Wellbeing Index
                        and your ratings of hub sessions
wellbeing_shares.json   professionals you share your wellbeing index with
messages.json           your secure messages with your professionals or clients,
                        both sides ("removed" for a removed message), with the
                        name of each file; the files are in message_files/
picture.jpg             your profile picture, if you have one

Times are in UTC (ISO 8601). Amounts are in minor units of the currency
(ISK has none, so 15000 ISK is 15,000 kr.).
"""

# Every model that points at a person (a foreign key, one-to-one or many-to-many
# to the user, or to a model whose rows are exported here): the file its rows
# are in, or why they are not. tests/privacy/test_export.py walks Django's model
# graph and fails on a model in neither list; SECURITY.md repeats the reasons.
EXPORTED: dict[str, str] = {
    "accounts.User": "profile.json",
    "accounts.User_groups": "profile.json",
    "accounts.User_user_permissions": "profile.json",
    "accounts.EmailChange": "email_changes.json",
    "notifications.Preferences": "profile.json",
    "billing.StripeCustomer": "profile.json",
    "bookings.Booking": "sessions.json",
    "bookings.BookingSeries": "sessions.json",  # each session's series, with it
    "bookings.Invitation": "invitations.json",
    "professionals.ProfessionalInvitation": "invitations.json",
    "billing.Invoice": "invoices.json",
    "billing.Payment": "payments.json",
    "billing.Refund": "payments.json",
    "billing.PaymentMethod": "payment_methods.json",
    "notifications.Notification": "notifications.json",
    "notifications.Delivery": "emails.json",
    "hubs.CreditEntry": "credits.json",
    "hubs.CreditRequest": "credit_requests.json",
    "hubs.Membership": "hub_memberships.json",
    "hubs.Company_admins": "hr_companies.json",
    "professionals.Professional": "professional.json",
    "professionals.Professional_languages": "professional.json",
    "professionals.Professional_specialties": "professional.json",
    "professionals.SessionType": "session_types.json",
    "professionals.WeeklyAvailability": "availability.json",
    "professionals.AvailabilityException": "availability.json",
    "hubs.HubProfessional": "hub_offers.json",
    "privacy.DataExport": "data_exports.json",
    "bookings.BookingRequest": "session_requests.json",
    "intake.ClientDetails": "client_details.json",
    "intake.IntakeForm": "intake_forms.json",
    "intake.IntakeForm_session_types": "intake_forms.json",
    "intake.FormResponse": "forms.json",
    "measures.MeasureRequest": "measures.json",
    "measures.MeasureResponse": "measures.json",
    "measures.Share": "measure_shares.json",
    "notes.Note": "notes.json",
    "notes.NoteAddendum": "notes.json",
    "notes.NoteTemplate": "note_templates.json",
    "wellbeing.Respondent": "wellbeing.json",
    "wellbeing.Checkin": "wellbeing.json",
    "wellbeing.Rating": "wellbeing.json",
    "wellbeing.Share": "wellbeing_shares.json",
    "messaging.Conversation": "messages.json",
    "messaging.Message": "messages.json",
    "messaging.MessagePreferences": "profile.json",
}
NOT_EXPORTED: dict[str, str] = {
    "bookings.PageSignup": (
        "the sign-up made on a booking page before your account existed: its name, "
        "e-mail and time zone are in profile.json, the session or request it made in "
        "sessions.json, and its password hash is cleared once the link is used"
    ),
    "otp_totp.TOTPDevice": (
        "the authenticator app's secret key: with it, whoever got the file could make "
        "your codes (profile.json says whether two-step sign-in is on)"
    ),
    "accounts.RecoveryCodes": (
        "the hashes of your recovery codes: secrets, and of no use to you (you were "
        "shown the codes once)"
    ),
    "billing.InvoiceCounter": (
        "the number your next invoice will get; the numbers issued are in invoices.json"
    ),
    "billing.LocalIntent": (
        "the offline test payment provider's stand-in for the card provider's records, "
        "used only in development and demonstrations; its payments are in payments.json"
    ),
    "admin.LogEntry": (
        "the record of changes Tengja's operators made in the administration site: "
        "Tengja's own audit trail, about the records changed, which are other people's"
    ),
}


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
    customer = StripeCustomer.objects.filter(user=user).first()
    return {
        "name": user.name,
        "email": user.email,
        "code": user.code,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "terms_version": user.terms_version,
        "terms_accepted_at": user.terms_accepted_at,
        "two_step_sign_in": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "email_reminders": preferences.email_reminders if preferences else True,
        "email_unread_messages": not MessagePreferences.objects.filter(
            user=user, email_unread=False
        ).exists(),
        "operator": user.is_staff,
        "groups": list(user.groups.order_by("name").values_list("name", flat=True)),
        "permissions": list(
            user.user_permissions.order_by("codename").values_list("codename", flat=True)
        ),
        "payment_provider_customer": customer.customer_id if customer else None,
    }


def _email_changes(user: User) -> Iterator[dict]:
    for change in EmailChange.objects.filter(user=user).order_by("created_at").iterator(CHUNK):
        yield {
            "new_email": change.new_email,
            "asked_at": change.created_at,
            "expires_at": change.expires_at,
            "confirmed_at": change.confirmed_at,
        }


def _sign_ins(user: User) -> Iterator[dict]:
    """django-axes' records, which name the address rather than the account."""
    address = user.email.lower()
    for kind, model in (
        ("signed in", AccessLog),
        ("failed attempts counted now", AccessAttempt),
        ("failed", AccessFailureLog),
    ):
        for row in model.objects.filter(username=address).order_by("attempt_time").iterator(CHUNK):
            yield {
                "kind": kind,
                "at": row.attempt_time,
                "ip_address": row.ip_address,
                "browser": row.user_agent,
                "signed_out_at": getattr(row, "logout_time", None),
                "failures": getattr(row, "failures_since_start", None),
            }


def _sessions(user: User) -> Iterator[dict]:
    bookings = (
        Booking.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "session_type", "series")
        .order_by("starts_at", "pk")
    )
    for booking in bookings.iterator(chunk_size=CHUNK):
        as_client = booking.client_id == user.pk
        series = booking.series
        yield {
            "code": booking.code,
            "role": "client" if as_client else "professional",
            "professional": booking.professional.user.name if as_client else None,
            "session_type": booking.session_type.name,
            "location": booking.location or None,
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
            # A session booked as one of a series: its code and rule.
            "series": {"code": series.code, "repeats": series.rule, "sessions": series.count}
            if series
            else None,
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
        Notification.objects.filter(user=user)
        .select_related("booking", "measure_request")
        .order_by("created_at")
    )
    for notification in notifications.iterator(chunk_size=CHUNK):
        yield {
            "kind": notification.kind,
            "session": notification.booking.code if notification.booking else None,
            "questionnaire": (
                notification.measure_request.get_instrument_display()
                if notification.measure_request
                else None
            ),
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


def _invitations(user: User) -> Iterator[dict]:
    received = Invitation.objects.filter(booking__client=user).select_related("booking")
    for invitation in received.order_by("created_at").iterator(CHUNK):
        yield {
            "kind": "session, to you",
            "session": invitation.booking.code,
            "email": invitation.email,
            "sent_at": invitation.created_at,
            "expires_at": invitation.expires_at,
            "accepted_at": invitation.accepted_at,
        }
    sent = Invitation.objects.filter(booking__professional__user=user).select_related("booking")
    for invitation in sent.order_by("created_at").iterator(CHUNK):
        yield {
            "kind": "session, sent by you",
            "session": invitation.booking.code,
            "sent_at": invitation.created_at,
            "expires_at": invitation.expires_at,
            "accepted_at": invitation.accepted_at,
        }
    joining = ProfessionalInvitation.objects.filter(
        Q(professional__user=user) | Q(email=user.email.lower())
    )
    for joining_invitation in joining.order_by("created_at").iterator(CHUNK):
        yield {
            "kind": "to join as a professional, to you",
            "email": joining_invitation.email,
            "sent_at": joining_invitation.sent_at,
            "expires_at": joining_invitation.expires_at,
            "accepted_at": joining_invitation.accepted_at,
            "withdrawn_at": joining_invitation.revoked_at,
        }
    invited = ProfessionalInvitation.objects.filter(invited_by=user)
    for sent_invitation in invited.order_by("created_at").iterator(CHUNK):
        yield {
            "kind": "to join as a professional, sent by you",
            "sent_at": sent_invitation.sent_at,
            "expires_at": sent_invitation.expires_at,
            "accepted_at": sent_invitation.accepted_at,
            "withdrawn_at": sent_invitation.revoked_at,
        }


def _payments(user: User) -> Iterator[dict]:
    payments = (
        Payment.objects.filter(
            Q(invoice__booking__client=user) | Q(invoice__professional__user=user)
        )
        .select_related("invoice__booking")
        .prefetch_related("refunds")
        .order_by("created_at", "pk")
    )
    for payment in payments.iterator(CHUNK):
        yield {
            "invoice": payment.invoice.display_number,
            "role": "client" if payment.invoice.booking.client_id == user.pk else "professional",
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status,
            # A payment made to the professional outside Tengja, as they recorded it.
            "paid_outside_tengja": payment.manual_method or None,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
            "made_at": payment.created_at,
            "succeeded_at": payment.succeeded_at,
            "refunds": [
                {
                    "amount": refund.amount,
                    "currency": refund.currency,
                    "reason": refund.reason,
                    "status": refund.status,
                    "made_at": refund.created_at,
                    "succeeded_at": refund.succeeded_at,
                }
                for refund in payment.refunds.all()
            ],
        }


def _emails(user: User) -> Iterator[dict]:
    deliveries = (
        Delivery.objects.filter(
            Q(booking__client=user, role=Booking.Role.CLIENT)
            | Q(booking__professional__user=user, role=Booking.Role.PROFESSIONAL)
            | Q(booking_request__client=user, role=Booking.Role.CLIENT)
            | Q(booking_request__professional__user=user, role=Booking.Role.PROFESSIONAL)
        )
        .select_related("booking", "booking_request")
        .order_by("due_at", "pk")
    )
    for delivery in deliveries.iterator(CHUNK):
        yield {
            "kind": delivery.kind,
            "session": delivery.booking.code if delivery.booking else None,
            "request": delivery.booking_request.code if delivery.booking_request else None,
            "due_at": delivery.due_at,
            "sent_at": delivery.sent_at,
            "skipped_at": delivery.skipped_at,
            "failed_at": delivery.failed_at,
        }


def _credit_requests(user: User) -> Iterator[dict]:
    requests = (
        CreditRequest.objects.filter(Q(professional__user=user) | Q(membership__user=user))
        .select_related("membership__hub", "professional__user")
        .order_by("created_at", "pk")
    )
    for request in requests.iterator(CHUNK):
        by_you = request.professional.user_id == user.pk
        yield {
            "role": "professional" if by_you else "member",
            "hub": request.membership.hub.name,
            # The professional's own requests do not name the member (theirs).
            "professional": None if by_you else request.professional.user.name,
            "credits": request.credits,
            "status": request.status,
            "asked_at": request.created_at,
            "decided_at": request.decided_at,
        }


def _data_exports(user: User) -> Iterator[dict]:
    for export in DataExport.objects.filter(user=user).order_by("created_at").iterator(CHUNK):
        yield {
            "asked_at": export.created_at,
            "ready_at": export.ready_at,
            "expires_at": export.expires_at,
            "downloaded_at": export.downloaded_at,
        }


def export_write(*, user: User, out: IO[bytes]) -> None:
    """Write the person's ZIP to `out`."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(made=timezone.now().isoformat()))
        _write_json(archive, "profile.json", _profile(user))
        _write_json_list(archive, "email_changes.json", _email_changes(user))
        _write_json_list(archive, "sign_ins.json", _sign_ins(user))
        _write_json_list(archive, "sessions.json", _sessions(user))
        _write_json_list(archive, "invitations.json", _invitations(user))
        _write_json_list(archive, "invoices.json", _invoices(user))
        _write_json_list(archive, "payments.json", _payments(user))
        _write_json_list(archive, "notifications.json", _notifications(user))
        _write_json_list(archive, "emails.json", _emails(user))
        _write_json_list(archive, "credits.json", _credits(user))
        _write_json_list(archive, "credit_requests.json", _credit_requests(user))
        _write_json_list(archive, "hub_memberships.json", _memberships(user))
        _write_json(archive, "hr_companies.json", hr_companies_of(user))
        _write_json_list(archive, "payment_methods.json", _payment_methods(user))
        _write_json(archive, "professional.json", professional_of(user))
        _write_json_list(archive, "session_types.json", session_types_of(user))
        _write_json(archive, "availability.json", availability_of(user))
        _write_json_list(archive, "hub_offers.json", hub_offers_of(user))
        _write_json_list(archive, "data_exports.json", _data_exports(user))
        _write_json_list(archive, "session_requests.json", session_requests_of(user))
        _write_json_list(archive, "client_details.json", client_details_of(user))
        _write_json_list(archive, "intake_forms.json", intake_forms_of(user))
        _write_json_list(archive, "forms.json", form_responses_of(user))
        _write_json_list(archive, "measures.json", measures_of(user))
        _write_json_list(archive, "measure_shares.json", measure_shares_of(user))
        _write_json_list(archive, "notes.json", notes_of(user))
        _write_json_list(archive, "note_templates.json", note_templates_of(user))
        _write_json_list(archive, "wellbeing.json", wellbeing_of(user))
        _write_json_list(archive, "wellbeing_shares.json", wellbeing_shares_of(user))
        message_files: list[tuple[str, str]] = []
        _write_json_list(archive, "messages.json", messages_of(user, message_files))
        files_copy(archive, message_files)
        if user.picture:
            with user.picture.open("rb") as picture, archive.open("picture.jpg", "w") as copy:
                shutil.copyfileobj(picture, copy)
