"""A product in use: every kind of person, with sessions and bills in every state.

Built through the real services, the way people reach these states: invited,
booked, paid, moved, cancelled early and late, refunded, past; cards, one
waiting for the bank; notifications read and unread; a Wellbeing Hub with an
active member (credits granted, spent and expired) and a pending one, requests
for credits; links in e-mails (password reset, e-mail change, work address).
"""

import io
import re
from dataclasses import dataclass, field
from datetime import time, timedelta

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from tengja.accounts.models import User
from tengja.accounts.services import email_change_request, user_set_picture
from tengja.billing.models import LocalIntent, Payment, PaymentMethod
from tengja.billing.selectors import invoice_standing
from tengja.billing.services import invoice_issue, invoice_pay, new_payment_key
from tengja.bookings.models import Booking, BookingRequest
from tengja.bookings.page import page_next_times, page_signup_start
from tengja.bookings.requests import request_create, request_decline
from tengja.bookings.services import (
    booking_cancel,
    booking_invite,
    booking_mark_done,
    booking_move,
    series_invite,
    series_starts,
)
from tengja.hubs.models import (
    CreditEntry,
    CreditRequest,
    Hub,
    HubDomain,
    HubProfessional,
    Membership,
)
from tengja.hubs.services import (
    credit_request_create,
    credit_request_decide,
    hub_book,
    membership_join,
    membership_verify,
)
from tengja.intake.builder import form_from_template
from tengja.intake.models import ClientDetails, Detail, FormResponse, IntakeForm
from tengja.intake.responses import response_open, response_save, response_sign
from tengja.lib.images import picture_reencode
from tengja.measures.models import MeasureRequest, MeasureResponse
from tengja.measures.services import measure_answer, measure_send
from tengja.messaging.models import Conversation, Message
from tengja.messaging.services import conversation_start, message_remove, message_send
from tengja.notes.models import Note, NoteTemplate
from tengja.notes.services import (
    addendum_add,
    note_save,
    note_sign,
    note_start,
    note_template_save,
)
from tengja.notifications.feed import feed_token_for
from tengja.notifications.models import Notification
from tengja.notifications.services import notifications_mark_read
from tengja.privacy.services import data_export_request
from tengja.professionals.models import (
    AvailabilityException,
    Professional,
    ProfessionalInvitation,
    SessionType,
    WeeklyAvailability,
)
from tengja.professionals.services import professional_invite
from tengja.wellbeing.services import who5_answer
from tests.factories import BookingFactory, CompanyFactory, HubFactory, UserFactory

GOOD_CARD = "4242 4242 4242 4242"
AUTHENTICATE_CARD = "4000 0027 6000 3184"


@dataclass
class World:
    people: dict[str, User | None]
    professional: Professional
    kind: SessionType
    hub: Hub
    bookings: dict[str, Booking]
    card: PaymentMethod
    payment_waiting: Payment
    membership: Membership
    pending: Membership
    credit_request: CreditRequest
    professional_invitation: ProfessionalInvitation
    tokens: dict[str, str] = field(default_factory=dict)
    intake_forms: dict[str, IntakeForm] = field(default_factory=dict)
    # Session requests by name: "open" (with a message), "declined" (with a reason).
    requests: dict[str, BookingRequest] = field(default_factory=dict)
    # A consent required for `kind`, signed by the client; an intake form (required
    # for a type nobody has booked yet) the client has started.
    responses: dict[str, FormResponse] = field(default_factory=dict)
    # Outcome measures: a GAD-7 waiting for the client, and a PHQ-9 they answered
    # (item 9 above 0, so its pages show the flag and the crisis contacts).
    measure_requests: dict[str, MeasureRequest] = field(default_factory=dict)
    measure_responses: dict[str, MeasureResponse] = field(default_factory=dict)
    # The professional's notes: "signed" (SOAP, on "past", with an addendum),
    # "draft" (on "ended"), "general" (a draft about the client); and a template.
    notes: dict[str, Note] = field(default_factory=dict)
    note_template: NoteTemplate | None = None
    # Wellbeing (tengja.wellbeing): "ended", the member's hub session that ended,
    # waiting for their rating; colleagues answered the WHO-5 last month.
    wellbeing: dict[str, Booking] = field(default_factory=dict)
    # Messages (issue 30): the client's conversation with the professional, with
    # "text" (theirs), "pdf" (the professional's, with a file) and "removed".
    conversation: Conversation | None = None
    messages: dict[str, Message] = field(default_factory=dict)


def _link(pattern: str) -> str:
    for message in reversed(mail.outbox):
        found = re.search(pattern, message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no e-mail holds {pattern}")


def _card(user: User, number: str) -> PaymentMethod:
    from tests.billing.conftest import add_card

    return add_card(user, number)


def _picture() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


def build_world(capture) -> World:
    """`capture` is pytest-django's django_capture_on_commit_callbacks: e-mails and
    tasks run as they would after each commit."""
    now = timezone.now()
    client = UserFactory(email="anna@example.com", name="Anna Jónsdóttir")
    pro_user = UserFactory(email="helga@example.com", name="Helga Sigurðardóttir")
    professional = Professional.objects.create(user=pro_user, title="Sálfræðingur")
    kind = SessionType.objects.create(
        professional=professional,
        name="Viðtal",
        duration_minutes=50,
        price_amount=18000,
        currency="ISK",
    )
    for weekday in range(7):
        WeeklyAvailability.objects.create(
            professional=professional, weekday=weekday, starts=time(9), ends=time(17)
        )
    # Time off far ahead (the availability page lists each kind; no session is in it).
    far = timezone.localdate() + timedelta(days=90)
    AvailabilityException.objects.create(
        professional=professional, kind="off", date=far, ends_on=far + timedelta(days=2)
    )
    AvailabilityException.objects.create(
        professional=professional,
        kind="off",
        date=far + timedelta(days=7),
        starts=time(12),
        ends=time(13),
        repeats_weekly=True,
        repeat_until=far + timedelta(days=60),
        label="Hádegi",
    )
    # The professional's forms (issue 29), made from Tengja's templates in Icelandic.
    intake_forms = {
        name: form_from_template(professional=professional, template=name, language="is")
        for name in ("telehealth_consent", "general_intake")
    }
    bookings: dict[str, Booking] = {}

    def invite(name: str, starts_in: timedelta, email: str = client.email) -> Booking:
        starts = (now + starts_in).replace(second=0, microsecond=0)
        with capture(execute=True):
            bookings[name] = booking_invite(
                professional=professional, session_type=kind, starts_at=starts, email=email
            )
        return bookings[name]

    with capture(execute=True):
        card = _card(client, GOOD_CARD)
        waiting_card = _card(client, AUTHENTICATE_CARD)
        user_set_picture(user=client, picture=picture_reencode(_picture()))

    # Open (and joinable now), paid, waiting for the bank, moved, cancelled in time
    # (void), cancelled late (still payable), refunded, and one invited address
    # that has no account yet.
    invite("soon", timedelta(minutes=5))
    with capture(execute=True):
        invoice_pay(
            invoice=invite("paid", timedelta(days=3)).invoices.get(),
            method=card,
            payment_key=new_payment_key(),
        )
        payment_waiting = invoice_pay(
            invoice=invite("waiting", timedelta(days=9)).invoices.get(),
            method=waiting_card,
            payment_key=new_payment_key(),
        )
    invite("moved", timedelta(days=4))
    with capture(execute=True):
        bookings["moved"] = booking_move(
            booking=bookings["moved"],
            by=pro_user,
            starts_at=bookings["moved"].starts_at + timedelta(days=4),
        )
        bookings["void"] = booking_cancel(booking=invite("void", timedelta(days=5)), by=client)
        bookings["late"] = booking_cancel(booking=invite("late", timedelta(hours=20)), by=client)
        refunded = invite("refunded", timedelta(days=6))
        invoice_pay(
            invoice=invoice_standing(booking=refunded), method=card, payment_key=new_payment_key()
        )
        bookings["refunded"] = booking_cancel(booking=refunded, by=pro_user)
        # Cancelled while its payment waited for the bank, whose yes came a moment
        # before the cancellation reached it: the payment goes back.
        returned = invite("returned", timedelta(days=11))
        payment_returned = invoice_pay(
            invoice=invoice_standing(booking=returned),
            method=waiting_card,
            payment_key=new_payment_key(),
        )
        LocalIntent.objects.filter(intent_id=payment_returned.provider_ref).update(
            status="succeeded"
        )
        bookings["returned"] = booking_cancel(booking=returned, by=client)
    invite("invited", timedelta(days=7), email="nyr.skjolstaedingur@example.com")
    tokens = {"invitation": _link(r"/invitations/([^/\s]+)/")}
    # A session in the past, billed and paid.
    past = BookingFactory(
        professional=professional,
        session_type=kind,
        client=client,
        starts_at=now - timedelta(days=10),
        price_amount=kind.price_amount,
    )
    with capture(execute=True):
        invoice_pay(invoice=invoice_issue(booking=past), method=card, payment_key=new_payment_key())
    bookings["past"] = past
    # Ended yesterday with its bill open, not yet marked done (the professional's
    # "Mark as done" with its payment choices); and one done, its payment skipped.
    for name, days in (("ended", 1), ("skipped", 2)):
        bookings[name] = BookingFactory(
            professional=professional,
            session_type=kind,
            client=client,
            starts_at=now - timedelta(days=days),
            price_amount=kind.price_amount,
        )
        invoice_issue(booking=bookings[name])
    with capture(execute=True):
        bookings["skipped"] = booking_mark_done(
            booking=bookings["skipped"], by=pro_user, payment_skipped_reason="Fyrsti tíminn"
        )
    # A weekly series of three (issue 28), the middle one the matrix's.
    series_first = (now + timedelta(days=12)).replace(hour=11, minute=0, second=0, microsecond=0)
    with capture(execute=True):
        series = series_invite(
            professional=professional,
            session_type=kind,
            starts=series_starts(
                first=series_first, rule="weekly", time_zone=pro_user.time_zone, count=3
            ),
            rule="weekly",
            time_zone=pro_user.time_zone,
            email=client.email,
        )
    bookings["series"] = series.bookings.order_by("starts_at")[1]
    # Some notifications read, some not.
    first = Notification.objects.filter(user=client).order_by("created_at").first()
    notifications_mark_read(user=client, code=first.code)

    # A Wellbeing Hub: an HR admin, the professional offered, an active member with
    # credits granted, spent and expired, a pending member, requests for credits.
    hub = HubFactory(
        company=CompanyFactory(name="Acme hf."),
        name="Vellíðan",
        welcome_text="Velkomin.",
        credits_per_period=2,
    )
    HubDomain.objects.create(hub=hub, domain="acme.test")
    hr = UserFactory(email="harpa@acme.test", name="Harpa Hauksdóttir")
    hub.company.admins.add(hr)
    offer = HubProfessional.objects.create(
        hub=hub, professional=professional, session_type=kind, status="accepted"
    )
    member_user = UserFactory(email="emma@acme.test", name="Emma Ólafsdóttir")
    with capture(execute=True):
        membership_join(hub=hub, user=member_user, email=member_user.email)
    membership_verify(token=_link(r"/hubs/verify/([^/\s]+)/"), user=member_user)
    membership = Membership.objects.get(user=member_user)
    year_ago = now - timedelta(days=400)
    CreditEntry.objects.create(
        membership=membership,
        kind="grant",
        amount=2,
        created_at=year_ago,
        expires_at=year_ago + timedelta(days=365),
    )
    CreditEntry.objects.create(
        membership=membership, kind="expire", amount=-2, created_at=year_ago + timedelta(days=365)
    )
    from tengja.bookings.slots import free_slots

    # Two days on, so the member may still move it (the hub's notice is 24 hours).
    slot = free_slots(
        professionals=[professional],
        duration=kind.duration,
        start=timezone.localdate() + timedelta(days=2),
        days=14,
    )[professional.pk][3]
    with capture(execute=True):
        bookings["credits"] = hub_book(membership=membership, offer=offer, starts_at=slot.starts_at)
    credit_request = credit_request_create(booking=bookings["credits"], credits=2)
    credit_request_decide(
        request=credit_request_create(booking=bookings["credits"], credits=1), approve=True
    )
    # Colleagues who joined and used credits last month, so HR sees figures (and a
    # month made by too few people, hidden).
    last_month = (timezone.localtime(now).replace(day=1) - timedelta(days=1)).replace(day=10)
    for index in range(5):
        colleague = UserFactory(email=f"starf{index}@acme.test")
        joined = Membership.objects.create(
            hub=hub, user=colleague, email=colleague.email, status="active"
        )
        # Their WHO-5 last month: enough respondents for HR's wellbeing figures.
        who5_answer(
            membership=joined,
            data={str(n): str((index + n) % 6) for n in range(1, 6)},
            now=last_month,
        )
        CreditEntry.objects.create(membership=joined, kind="grant", amount=2, created_at=last_month)
        if index < 2:
            CreditEntry.objects.create(
                membership=joined, kind="spend", amount=-1, created_at=last_month
            )
    # The member's hub session that ended yesterday, waiting for their rating.
    ended = BookingFactory(
        client=member_user,
        session_type=kind,
        starts_at=now - timedelta(days=1, hours=2),  # clear of the client's "ended" session
        paid_with=Booking.PaidWith.CREDITS,
        credits=1,
    )
    CreditEntry.objects.create(
        membership=membership, kind="spend", amount=-1, booking=ended, created_at=ended.starts_at
    )
    # Another company's hub asks the professional to be offered.
    HubProfessional.objects.create(
        hub=HubFactory(company=CompanyFactory(name="Beta ehf."), name="Beta"),
        professional=professional,
    )
    pending_user = UserFactory(email="pall@acme.test", name="Páll Pétursson")
    with capture(execute=True):
        pending = membership_join(hub=hub, user=pending_user, email=pending_user.email)
    tokens["hub_verify"] = _link(r"/hubs/verify/([^/\s]+)/")

    # Links in e-mails: password reset, a pending change of e-mail, the calendar feed.
    tokens["reset_uid"] = urlsafe_base64_encode(force_bytes(client.pk))
    with capture(execute=True):
        email_change_request(user=client, new_email="anna.ny@example.com")
    tokens["email_change"] = _link(r"/accounts/profile/email/confirm/([^/\s]+)/")
    tokens["feed"] = feed_token_for(user=client)
    # A copy of the client's data, ready to download.
    with capture(execute=True):
        data_export_request(user=client)
    tokens["data_export"] = _link(r"/privacy/export/([^/\s]+)/")
    client.refresh_from_db()

    # Forms before the first session: the client signed the consent `kind` requires
    # (so their sessions open; the hub member's wait for their signature), and has
    # started an intake form.
    consent = IntakeForm.objects.create(
        professional=professional,
        kind=IntakeForm.Kind.CONSENT,
        title="Samþykki fyrir fjarmeðferð",
        body="Ég samþykki meðferð í myndsímtali.",
        fields=[{"key": "myndsimtal", "kind": "yes_no", "label": "Myndsímtal í lagi?"}],
    )
    consent.session_types.add(kind)
    intake = IntakeForm.objects.create(
        professional=professional,
        title="Inntaka",
        fields=[{"key": "saga", "kind": "long_text", "label": "Saga", "required": True}],
    )
    intake.session_types.add(
        SessionType.objects.create(
            professional=professional,
            name="Inntökuviðtal",
            duration_minutes=60,
            price_amount=18000,
            currency="ISK",
        )
    )
    responses = {
        "signed": response_sign(
            response=response_open(form=consent, client=client),
            answers={"myndsimtal": "yes"},
            name=client.name,
        ),
        "draft": response_save(
            response=response_open(form=intake, client=client), answers={"saga": "Byrjuð"}
        ),
    }

    # An operator (staff), who has invited a professional not yet joined.
    operator = UserFactory(email="sigrun@tengja.test", name="Sigrún Stjórnandi", is_staff=True)
    with capture(execute=True):
        professional_invitation = professional_invite(
            email="nyr.fagadili@example.com", language="is", invited_by=operator
        )
    tokens["professional_join"] = _link(r"/professionals/join/([^/\s]+)/")

    # The client's session requests, of a type booked by request: one open, one declined.
    asked = SessionType.objects.create(
        professional=professional,
        name="Fyrsta viðtal",
        duration_minutes=50,
        price_amount=20000,
        currency="ISK",
        booking_mode=SessionType.BookingMode.REQUEST,
    )
    asked_at = free_slots(
        professionals=[professional],
        duration=asked.duration,
        start=timezone.localdate() + timedelta(days=4),
        days=14,
    )[professional.pk]
    with capture(execute=True):
        requests = {
            "open": request_create(
                client=client,
                session_type=asked,
                starts_at=asked_at[0].starts_at,
                message="Mig langar að tala um kvíða.",
            ),
            "declined": request_decline(
                booking_request=request_create(
                    client=client, session_type=asked, starts_at=asked_at[1].starts_at
                ),
                reason="Ég er ekki laus þá.",
            ),
        }
    # The professional's own booking page (issue 29): on, with a visitor's sign-up
    # waiting for its e-mail link, and the client's request for a time.
    professional.bio = "Hugræn atferlismeðferð."
    professional.booking_slug = "helga"
    professional.booking_page_on = True
    professional.save(update_fields=["bio", "booking_slug", "booking_page_on"])
    asked_at = page_next_times(
        professional=professional, session_type=kind, after=now + timedelta(days=20)
    )[0].starts_at
    with capture(execute=True):
        page_signup_start(
            session_type=kind,
            starts_at=asked_at,
            message="",
            name="Gestur Gestsson",
            email="gestur@example.com",
            password="löng og góð setning",
            language="is",
            time_zone="Atlantic/Reykjavik",
        )
    tokens["page_signup"] = _link(r"/book/confirm/([^/\s]+)/")
    tokens["page_request"] = request_create(
        client=client, session_type=kind, starts_at=asked_at, message="Góðan dag"
    ).code
    # Required details (issue 29): the client has given them, so their calls may
    # start; the hub member has not, so their pages ask for them.
    professional.required_details = [Detail.PHONE, Detail.EMERGENCY_CONTACT]
    professional.save(update_fields=["required_details"])
    ClientDetails.objects.create(
        professional=professional,
        client=client,
        phone="+354 555 1234",
        emergency_contact="Jón Jónsson, 555 4321",
    )

    phq9 = measure_send(
        professional=professional, client=client, instrument="phq9", mode="once", notify=False
    )
    measure_responses = {
        "answered": measure_answer(
            request=phq9, data={str(n): "1" for n in range(1, 10)} | {"difficulty": "1"}
        )
    }
    measure_requests = {
        "answered": phq9,
        "waiting": measure_send(
            professional=professional, client=client, instrument="gad7", mode="once", notify=False
        ),
    }
    signed = note_start(
        professional=professional, client=client, booking=bookings["past"], template="soap"
    )
    # Written over the template in Icelandic (the matrix checks for English words).
    signed = note_sign(note=signed, title="Fyrsti tími", body="Huglægt: sefur illa.")
    addendum_add(note=signed, body="Viðbót eftir símtal.")
    notes = {
        "signed": signed,
        "draft": note_start(professional=professional, client=client, booking=bookings["ended"]),
        "general": note_save(
            note=note_start(professional=professional, client=client, template="birp"),
            title="",
            body="Hegðun: kom á réttum tíma.",
        ),
    }
    note_template = note_template_save(
        professional=professional, name="Stutt", body="Hvað gerðist?\n\nNæstu skref"
    )

    conversation = conversation_start(client=client, professional=professional)
    messages = {
        "text": message_send(
            conversation=conversation, sender=client, body="Góðan dag,\nget ég fært tímann?"
        ),
        "pdf": message_send(
            conversation=conversation,
            sender=pro_user,
            body="Hér er blaðið.",
            file=SimpleUploadedFile(
                "Æfing.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
            ),
        ),
        "removed": message_send(conversation=conversation, sender=client, body="Afsakið"),
    }
    message_remove(message=messages["removed"], user=client)

    return World(
        people={
            "visitor": None,
            "client": client,
            "member": member_user,
            "pending": pending_user,
            "professional": pro_user,
            "hr": hr,
            "operator": operator,
        },
        professional=professional,
        kind=kind,
        hub=hub,
        bookings=bookings,
        card=card,
        payment_waiting=payment_waiting,
        membership=membership,
        pending=pending,
        credit_request=credit_request,
        professional_invitation=professional_invitation,
        tokens=tokens,
        intake_forms=intake_forms,
        requests=requests,
        responses=responses,
        measure_requests=measure_requests,
        measure_responses=measure_responses,
        notes=notes,
        note_template=note_template,
        wellbeing={"ended": ended},
        conversation=conversation,
        messages=messages,
    )


def sanity(world: World) -> None:
    """The states the world promises are really there (a change to a service that
    stopped producing one would otherwise leave the matrix testing less)."""
    b = {name: Booking.objects.get(pk=booking.pk) for name, booking in world.bookings.items()}
    world.payment_waiting.refresh_from_db()
    assert invoice_standing(booking=b["soon"]).status == "open" and b["soon"].is_joinable()
    assert invoice_standing(booking=b["paid"]).status == "paid"
    assert world.payment_waiting.status == "requires_action"
    assert invoice_standing(booking=b["void"]).status == "void"
    assert b["late"].late_cancellation and invoice_standing(booking=b["late"]).status == "open"
    assert invoice_standing(booking=b["refunded"]).status == "refunded"
    returned = invoice_standing(booking=b["returned"])
    assert returned.status == "void" and returned.payments.get().refunds.get().status == "succeeded"
    assert b["moved"].sequence == 1
    assert b["past"].is_past() and invoice_standing(booking=b["past"]).status == "paid"
    assert b["ended"].state() == "ended" and invoice_standing(booking=b["ended"]).status == "open"
    assert (
        b["skipped"].state() == "done" and invoice_standing(booking=b["skipped"]).status == "void"
    )
    assert b["invited"].client is None
    assert b["credits"].paid_with == "credits"
    client = world.people["client"]
    assert Notification.objects.filter(user=client, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=client, read_at__isnull=False).exists()
    kinds = set(world.membership.ledger.values_list("kind", flat=True))
    assert {"grant", "spend", "expire"} <= kinds
    assert world.pending.status == "pending"
    assert client.picture
    assert world.responses["signed"].state == "signed"
    assert world.responses["draft"].state == "draft"
    assert world.notes["signed"].is_signed and world.notes["signed"].addenda.exists()
    assert not world.notes["draft"].is_signed and world.notes["general"].booking is None
    assert world.messages["pdf"].file and world.messages["removed"].is_removed
