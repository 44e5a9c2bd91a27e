"""Demo data, safe to load again and again: `manage.py demo [--json]`."""

import json
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.billing.manual import invoice_mark_paid
from tengja.billing.models import Invoice, ManualMethod
from tengja.billing.services import invoice_issue
from tengja.bookings.models import Booking, BookingRequest, BookingSeries
from tengja.bookings.page import page_next_times
from tengja.bookings.requests import request_create
from tengja.hubs.models import (
    Company,
    CreditEntry,
    Hub,
    HubDomain,
    HubProfessional,
    Membership,
)
from tengja.hubs.services import credits_renew
from tengja.intake.builder import form_from_template
from tengja.intake.models import ClientDetails, Detail, FormResponse, IntakeForm
from tengja.intake.responses import response_open, response_sign
from tengja.lib.dates import add_months
from tengja.measures.models import MeasureRequest
from tengja.measures.services import measure_answer, measure_send
from tengja.messaging.models import Conversation
from tengja.messaging.services import conversation_start, message_send
from tengja.notes.models import Note
from tengja.notes.services import addendum_add, note_save, note_sign, note_start
from tengja.professionals.forms import booking_slug_suggest
from tengja.professionals.models import (
    AvailabilityException,
    Language,
    Professional,
    ProfessionalInvitation,
    SessionType,
    Specialty,
    WeeklyAvailability,
)
from tengja.professionals.services import professional_invite
from tengja.wellbeing.models import Checkin, Rating
from tengja.wellbeing.services import respondent_for

HUB_EMAIL_DOMAIN = "nordurljos.test"
PEOPLE = {
    "client": {
        "email": "client@tengja.test",
        "password": "demo-client-2026",
        "name": "Anna Jónsdóttir",
    },
    "professional": {
        "email": "professional@tengja.test",
        "password": "demo-professional-2026",
        "name": "Helga Sigurðardóttir",
    },
    "hr_admin": {
        "email": f"hr@{HUB_EMAIL_DOMAIN}",
        "password": "demo-hr-2026",
        "name": "Gunnar Pálsson",
    },
    # An employee of the hub's company, a confirmed member with this period's
    # credits: books through the hub.
    "member": {
        "email": f"sara@{HUB_EMAIL_DOMAIN}",
        "password": "demo-member-2026",
        "name": "Sara Björnsdóttir",
    },
    # Tengja's own team: invites professionals and can pause their bookings.
    "operator": {
        "email": "operator@tengja.test",
        "password": "demo-operator-2026",
        "name": "Sigrún Stefánsdóttir",
    },
}
# An address the operator has invited to join as a professional (the e-mail is
# in the development mail reader, to try joining with).
INVITED_PROFESSIONAL = "new.professional@tengja.test"


def person(role: str) -> User:
    details = PEOPLE[role]
    user, _ = User.objects.get_or_create(
        email=details["email"],
        defaults={
            "name": details["name"],
            "terms_version": "demo",
            "terms_accepted_at": timezone.now(),
        },
    )
    # Always reset the password so the printed logins work, whatever happened since.
    user.set_password(details["password"])
    user.is_staff = role == "operator"
    user.save()
    return user


def demo_booking(
    *, code: str, professional: Professional, client: User, kind: SessionType, starts_at: datetime
) -> Booking:
    booking, _ = Booking.objects.update_or_create(
        code=code,
        defaults={
            "professional": professional,
            "client": client,
            "session_type": kind,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=kind.duration_minutes),
            "status": Booking.Status.CONFIRMED,
            "price_amount": kind.price_amount,
            "currency": kind.currency,
            "location": kind.location,
            # Planned again, whatever was tried on it since (its bill stays as
            # it became: bills are never redone).
            "cancelled_at": None,
            "cancelled_by": "",
            "cancel_reason": "",
            "cancel_note": "",
            "client_told": True,
            "late_cancellation": False,
            "completed_at": None,
            "payment_skipped_reason": "",
        },
    )
    return booking


def demo_history(*, professional: Professional, client: User, kind: SessionType) -> None:
    """A session in each of the last eleven months, done and paid by bank transfer,
    for the practice page's chart and the activities (made once: a bill is never
    redone, and each payment sends its receipt)."""
    this_month = timezone.localtime().replace(day=9, hour=13, minute=0, second=0, microsecond=0)
    for months_back in range(1, 12):
        code = f"demo-history-{months_back}"
        if Booking.objects.filter(code=code).exists():
            continue
        booking = demo_booking(
            code=code,
            professional=professional,
            client=client,
            kind=kind,
            starts_at=add_months(this_month, -months_back),
        )
        Booking.objects.filter(pk=booking.pk).update(completed_at=booking.ends_at)
        invoice = invoice_issue(booking=booking)
        assert invoice is not None
        invoice_mark_paid(
            invoice=invoice,
            by=professional.user,
            method=ManualMethod.BANK_TRANSFER,
            paid_on=timezone.localdate(),
            form_key=uuid.uuid4().hex,
        )


class Command(BaseCommand):
    help = "Create (or refresh) the demo client, professional, company, hub and bookings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            # The demo passwords are public: never create them on a real site.
            raise CommandError("The demo data is for development: DEBUG is off (use --force).")
        client = person("client")
        pro_user = person("professional")
        hr_admin = person("hr_admin")
        operator = person("operator")

        professional, _ = Professional.objects.get_or_create(
            user=pro_user,
            defaults={
                "title": "Psychologist",
                "bio": "Cognitive behavioural therapy for anxiety, stress and sleep.",
                # Her own terms, shown before booking and on each session page.
                "policy_en": "Cancelling less than 24 hours before the session costs the "
                "full price. A session missed without notice is charged in full.",
                "policy_is": "Afbókun með minna en sólarhrings fyrirvara kostar fullt verð. "
                "Tími sem er ekki mætt í án fyrirvara er rukkaður að fullu.",
            },
        )
        # She asks every client for a phone number and an emergency contact (issue
        # 29); the demo client has given them, so the demo's calls can start. A
        # client who has not is asked on Home and the session page.
        if not professional.required_details:
            professional.required_details = [Detail.PHONE, Detail.EMERGENCY_CONTACT]
            professional.save(update_fields=["required_details"])
        ClientDetails.objects.get_or_create(
            professional=professional,
            client=client,
            defaults={"phone": "+354 555 1234", "emergency_contact": "Jón Jónsson, 555 4321"},
        )
        professional.languages.add(*Language.objects.filter(code__in=["is", "en"]))
        for name in ("Anxiety", "Stress", "Sleep"):
            professional.specialties.add(Specialty.objects.get_or_create(name=name)[0])
        session, _ = SessionType.objects.get_or_create(
            professional=professional,
            name="Individual session",
            defaults={"duration_minutes": 50, "price_amount": 18000, "currency": "ISK"},
        )
        follow_up, _ = SessionType.objects.get_or_create(
            professional=professional,
            name="Follow-up call",
            defaults={"duration_minutes": 25, "price_amount": 9000, "currency": "ISK"},
        )
        # Met at her clinic: an on-site session has its address and no call.
        at_clinic, _ = SessionType.objects.get_or_create(
            professional=professional,
            name="Session at the clinic",
            defaults={
                "duration_minutes": 50,
                "price_amount": 20000,
                "currency": "ISK",
                "mode": SessionType.Mode.IN_PERSON,
                "address": "Laugavegur 26, 3rd floor\n101 Reykjavík",
            },
        )
        demo_forms(professional=professional, video_type=session)
        # Her own booking page (issue 29): one type booked at once, one by request.
        SessionType.objects.filter(pk=session.pk).update(
            booking_mode=SessionType.BookingMode.INSTANT
        )
        SessionType.objects.filter(pk=follow_up.pk).update(
            booking_mode=SessionType.BookingMode.REQUEST
        )
        if not professional.booking_slug:
            professional.booking_slug = booking_slug_suggest(pro_user.name, exclude=professional)
        professional.booking_page_on = True
        professional.save(update_fields=["booking_slug", "booking_page_on"])
        for weekday in range(5):
            WeeklyAvailability.objects.get_or_create(
                professional=professional, weekday=weekday, starts=time(9), ends=time(17)
            )

        company, _ = Company.objects.get_or_create(name="Norðurljós hf.")
        company.admins.add(hr_admin)
        hub, _ = Hub.objects.get_or_create(
            company=company,
            code="nordurljos",
            defaults={
                "name": "Norðurljós Wellbeing Hub",
                "welcome_text": (
                    "Norðurljós gives every employee six free sessions a year with a "
                    "psychologist or coach. What you talk about stays between you and "
                    "your professional: we only see how many credits are used."
                ),
            },
        )
        HubDomain.objects.get_or_create(hub=hub, domain=HUB_EMAIL_DOMAIN)
        HubProfessional.objects.get_or_create(
            hub=hub,
            professional=professional,
            defaults={"session_type": session, "status": HubProfessional.Status.ACCEPTED},
        )

        demo_colleagues(hub)
        member = person("member")
        membership, _ = Membership.objects.get_or_create(
            hub=hub,
            user=member,
            defaults={
                "email": member.email,
                "status": Membership.Status.ACTIVE,
                "verified_at": timezone.now(),
            },
        )
        credits_renew(membership=membership)  # once a period: none after the first run
        # A second company's hub has asked the professional to be offered.
        other, _ = Company.objects.get_or_create(name="Hekla ehf.")
        other_hub, _ = Hub.objects.get_or_create(
            company=other, code="hekla", defaults={"name": "Hekla Wellbeing Hub"}
        )
        HubProfessional.objects.get_or_create(hub=other_hub, professional=professional)

        # One session always starts within the next 15 minutes, so joining can be tried.
        now = timezone.now().replace(second=0, microsecond=0)
        demo_booking(
            code="demo-soon",
            professional=professional,
            client=client,
            kind=session,
            starts_at=now + timedelta(minutes=10),
        )
        next_week = (now + timedelta(days=7)).replace(hour=10, minute=0)
        demo_booking(
            code="demo-next-week",
            professional=professional,
            client=client,
            kind=follow_up,
            starts_at=next_week,
        )
        demo_booking(
            code="demo-on-site",
            professional=professional,
            client=client,
            kind=at_clinic,
            starts_at=(now + timedelta(days=3)).replace(hour=14, minute=0),
        )
        # Over, to try "Mark as done" (and its payment choices) on one and
        # "The client did not come" on the other.
        demo_booking(
            code="demo-last-week",
            professional=professional,
            client=client,
            kind=session,
            starts_at=next_week - timedelta(days=14),
        )
        demo_booking(
            code="demo-yesterday",
            professional=professional,
            client=client,
            kind=session,
            starts_at=(now - timedelta(days=1)).replace(hour=11, minute=0),
        )
        demo_history(professional=professional, client=client, kind=session)
        notes = demo_notes(professional=professional, client=client)

        # A blocked day, the day after next week's session (on the week, gone from
        # the hub), and a weekly lunch hour: made afresh, so they stay ahead.
        professional.availability_exceptions.filter(kind="off", label__startswith="Demo:").delete()
        AvailabilityException.objects.create(
            professional=professional,
            kind="off",
            date=timezone.localtime(next_week).date() + timedelta(days=1),
            label="Demo: holiday",
        )
        AvailabilityException.objects.create(
            professional=professional,
            kind="off",
            date=timezone.localdate(),
            starts=time(12),
            ends=time(13),
            repeats_weekly=True,
            label="Demo: lunch",
        )
        # A weekly series of six (issue 28), from two days on at 14:00, to move or
        # cancel "this and all following".
        series, _ = BookingSeries.objects.update_or_create(
            code="demo-series",
            defaults={
                "professional": professional,
                "rule": BookingSeries.Rule.WEEKLY,
                "count": 6,
                "time_zone": pro_user.time_zone,
            },
        )
        series_first = (now + timedelta(days=2)).replace(hour=14, minute=0)
        for index in range(6):
            booking = demo_booking(
                code=f"demo-series-{index + 1}",
                professional=professional,
                client=client,
                kind=session,
                starts_at=series_first + timedelta(weeks=index),
            )
            Booking.objects.filter(pk=booking.pk).update(series=series)

        signed = demo_consent(professional=professional, client=client)
        demo_request(professional=professional, client=client, kind=follow_up)
        demo_measures(professional=professional, client=client)
        demo_messages(professional=professional, client=client)

        # Invited once, on the first run (each run would otherwise send it again).
        invited_before = ProfessionalInvitation.objects.filter(email=INVITED_PROFESSIONAL).exists()
        if not invited_before and not User.objects.filter(email=INVITED_PROFESSIONAL).exists():
            professional_invite(email=INVITED_PROFESSIONAL, language="en", invited_by=operator)

        # Bills to try the Payments tab with (once per booking: invoices are never redone).
        for booking in Booking.objects.filter(code__startswith="demo-", invoices__isnull=True):
            invoice_issue(booking=booking)
        assert Invoice.objects.filter(booking__code__startswith="demo-").exists()

        result: dict[str, Any] = {
            role: {key: PEOPLE[role][key] for key in ("email", "password", "name")}
            for role in PEOPLE
        }
        result["professional"]["booking_url"] = settings.SITE_URL + reverse(
            "bookings:page", kwargs={"slug": professional.booking_slug}
        )
        result["hub_url"] = reverse("hubs:hub", kwargs={"code": hub.code})
        result["hub_email_domain"] = HUB_EMAIL_DOMAIN
        result["client_code"] = client.code
        result["signed_consent"] = signed.code
        result["notes"] = notes
        result["conversation"] = Conversation.objects.get(
            professional=professional, client=client
        ).code
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write("Demo data is ready. Sign in as:")
        for role in PEOPLE:
            self.stdout.write(f"  {role:<13} {result[role]['email']} / {result[role]['password']}")
        self.stdout.write(f"  Booking page: {result['professional']['booking_url']}")
        self.stdout.write(f"  Wellbeing Hub: {result['hub_url']} (accepts @{HUB_EMAIL_DOMAIN})")
        self.stdout.write(
            f"  Invited to join as a professional: {INVITED_PROFESSIONAL} (see /dev/mail/)"
        )


def demo_forms(*, professional: Professional, video_type: SessionType) -> None:
    """Issue 29: the telehealth consent, required before the first video session,
    and the general intake, from Tengja's templates in the professional's
    language. Made once; a run again only requires the consent again."""
    if not professional.intake_forms.filter(kind=IntakeForm.Kind.INTAKE).exists():
        form_from_template(professional=professional, template="general_intake")
    consent = professional.intake_forms.filter(kind=IntakeForm.Kind.CONSENT).first()
    if consent is None:
        consent = form_from_template(professional=professional, template="telehealth_consent")
    consent.session_types.add(video_type)


def demo_request(*, professional: Professional, client: User, kind: SessionType) -> None:
    """An open request from the demo client for a follow-up call (issue 29), so
    the professional's Requests page has one to accept or decline."""
    waiting = BookingRequest.objects.filter(
        professional=professional, client=client, status=BookingRequest.Status.OPEN
    )
    if waiting.exists():
        return
    kind.refresh_from_db()  # its booking mode was set by an update
    free = page_next_times(
        professional=professional, session_type=kind, after=timezone.now() + timedelta(days=3)
    )
    if free:
        request_create(
            client=client,
            session_type=kind,
            starts_at=free[0].starts_at,
            message="Could we talk about how the last weeks went?",
        )


def demo_measures(*, professional: Professional, client: User) -> None:
    """The demo client answered the PHQ-9 three times for the demo professional,
    a month apart, her scores going down (issue 30); a GAD-7 waits for her."""
    if MeasureRequest.objects.filter(professional=professional, client=client).exists():
        return
    now = timezone.now()
    for weeks, values in (
        (8, (2, 2, 2, 2, 1, 2, 1, 1, 0)),
        (4, (1, 2, 1, 1, 1, 1, 1, 0, 0)),
        (1, (1, 1, 0, 1, 0, 1, 0, 0, 0)),
    ):
        measure = measure_send(
            professional=professional, client=client, instrument="phq9", mode="once", notify=False
        )
        measure_answer(
            request=measure,
            data={str(n): value for n, value in enumerate(values, start=1)},
            now=now - timedelta(weeks=weeks),
        )
    measure_send(
        professional=professional, client=client, instrument="gad7", mode="once", notify=False
    )


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF to attach to a demo message."""
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=16)
    document.cell(text=title, new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", size=12)
    for line in lines:
        document.multi_cell(w=0, text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def demo_messages(*, professional: Professional, client: User) -> None:
    """A short conversation between the demo client and professional (issue 30),
    with a PDF the professional sent; the last message waits unread for her."""
    if Conversation.objects.filter(professional=professional, client=client).exists():
        return
    conversation = conversation_start(client=client, professional=professional)
    now = timezone.now()
    exercise = SimpleUploadedFile(
        "Breathing exercise.pdf",
        demo_pdf(
            "Breathing exercise",
            [
                "Breathe in through your nose for four counts.",
                "Hold for four counts, then breathe out slowly for six.",
                "Repeat five times, morning and evening.",
            ],
        ),
        content_type="application/pdf",
    )
    for minutes, sender, body, file in (
        (
            3 * 24 * 60,
            client,
            "Hi, thank you for the session on Monday.\nCould you send me the breathing "
            "exercise we talked about?",
            None,
        ),
        (
            3 * 24 * 60 - 45,
            professional.user,
            "Of course, here it is. Try it twice a day.",
            exercise,
        ),
        (24 * 60, client, "It helps, especially in the evening. See you next week!", None),
        (30, professional.user, "Glad to hear it. See you then.", None),
    ):
        message_send(
            conversation=conversation,
            sender=sender,
            body=body,
            file=file,
            now=now - timedelta(minutes=minutes),
        )


def demo_consent(*, professional: Professional, client: User) -> FormResponse:
    """The demo client has signed her telehealth consent (demo_forms), so their
    calls open and the signed PDF is on the client's page. Hub members booking
    that type still have it to sign."""
    consent = professional.intake_forms.get(kind=IntakeForm.Kind.CONSENT)
    response = response_open(form=consent, client=client)
    if response.state == FormResponse.State.DRAFT:
        answers = {
            "location": "Laugavegur 1, Reykjavík",
            "phone": "+354 555 0101",
            "emergency_contact": "Jón Jónsson, 555 0102",
            "understood": "yes",
        }
        response = response_sign(response=response, answers=answers, name=client.name)
    return response


def demo_colleagues(hub: Hub) -> None:
    """Twelve employees who joined the hub a year ago and used credits since, so
    the HR page has a year of figures to show (made once: the ledger is append-only)."""
    this_month = timezone.localtime().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    joined_at = add_months(this_month, -11)
    for index in range(12):
        user, created = User.objects.get_or_create(
            email=f"colleague{index + 1}@{HUB_EMAIL_DOMAIN}",
            defaults={"name": f"Colleague {index + 1}"},
        )
        if not created:
            continue
        user.set_unusable_password()
        user.save(update_fields=["password"])
        membership = Membership.objects.create(
            hub=hub,
            user=user,
            email=user.email,
            status=Membership.Status.ACTIVE,
            verified_at=joined_at,
        )
        CreditEntry.objects.create(
            membership=membership,
            kind=CreditEntry.Kind.GRANT,
            amount=hub.credits_per_period,
            created_at=joined_at,
            expires_at=add_months(joined_at, hub.period_months),
        )
        # About half use a credit in any month, until their year's credits run out.
        months = [m for m in range(11) if (index + m) % 2 == 0 or index % 5 == 0]
        for month in months[: hub.credits_per_period // hub.credits_per_session]:
            CreditEntry.objects.create(
                membership=membership,
                kind=CreditEntry.Kind.SPEND,
                amount=-hub.credits_per_session,
                created_at=add_months(joined_at, month).replace(day=5 + index),
            )
        demo_wellbeing(hub=hub, membership=membership, index=index, joined_at=joined_at)


def demo_wellbeing(*, hub: Hub, membership: Membership, index: int, joined_at) -> None:
    """A colleague's WHO-5 answers about every two weeks of the ended months (most
    slowly better), and a rating of their sessions in about half the months, so
    HR's wellbeing figures and the professional's average show."""
    respondent = respondent_for(hub=hub, user=membership.user)
    offer = HubProfessional.objects.filter(hub=hub).first()
    for month in range(11):
        for day in (2, 17):
            raw = min(25, max(0, 8 + index % 7 + month // 2 + (day == 17)))
            Checkin.objects.create(
                respondent=respondent,
                answers={str(n): raw // 5 + (n <= raw % 5) for n in range(1, 6)},
                raw=raw,
                answered_at=add_months(joined_at, month).replace(day=day),
            )
        if offer is not None and (index + month) % 2 == 0:
            score = 3 + (index + month) % 3
            Rating.objects.create(
                respondent=respondent,
                professional=offer.professional,
                answers={str(n): score for n in range(1, 5)},
                score=score,
                rated_at=add_months(joined_at, month).replace(day=6 + index),
            )


def demo_notes(*, professional: Professional, client: User) -> dict[str, str]:
    """The professional's private notes: a signed SOAP note with an addendum on
    yesterday's session, and a draft on last month's (each made once). Returns
    their codes."""
    yesterday = Booking.objects.get(code="demo-yesterday")
    if not Note.objects.filter(booking=yesterday).exists():
        note = note_start(
            professional=professional, client=client, booking=yesterday, template="soap"
        )
        note = note_sign(
            note=note,
            title="Sleep and work stress",
            body=(
                "Subjective\nSleeping about five hours; worries about a deadline at work.\n\n"
                "Objective\nCalm, engaged, tired; affect congruent.\n\n"
                "Assessment\nStress-related insomnia, no risk indicators.\n\n"
                "Plan\nSleep diary for two weeks; review at the next session."
            ),
        )
        addendum_add(note=note, body="Phoned the next day: the diary is started.")
    last_month = Booking.objects.get(code="demo-history-1")
    if not Note.objects.filter(booking=last_month).exists():
        draft = note_start(
            professional=professional, client=client, booking=last_month, template="dap"
        )
        note_save(note=draft, title="Follow-up", body=draft.body)
    return {
        "signed": Note.objects.filter(booking=yesterday).values_list("code", flat=True)[0],
        "draft": Note.objects.filter(booking=last_month).values_list("code", flat=True)[0],
    }
