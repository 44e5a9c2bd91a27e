"""Wellbeing Hubs: who may claim, the credit ledger, booking with credits.

The balance of a membership is the sum of its ledger entries. Every change of
credits is a new entry, written while the membership row is locked, so the
balance cannot go below zero even when one member books twice at once.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.accounts.services import user_sign_up
from tengja.bookings.events import BookingEvent, Kind
from tengja.bookings.models import Booking
from tengja.bookings.services import BookingError, booking_create
from tengja.bookings.slots import free_slots
from tengja.hubs.models import (
    CreditEntry,
    CreditRequest,
    Hub,
    HubDomain,
    HubInvitedAddress,
    HubProfessional,
    Membership,
    domain_normalise,
)
from tengja.hubs.selectors import period_ends
from tengja.lib.dates import add_months
from tengja.lib.emails import email_deliver_now, email_render, email_send
from tengja.lib.tokens import token_hash, token_make
from tengja.professionals.models import Professional, SessionType

VERIFY_TIMEOUT = timedelta(days=7)
# Within this long before the start, a member's cancellation spends the credit.
CREDIT_NOTICE_HOURS = 24


class HubError(Exception):
    """A refusal with a message meant for the person who asked."""


def hub_eligible(*, hub: Hub, email: str) -> bool:
    email = email.strip().lower()
    return (
        hub.domains.filter(domain=domain_normalise(email)).exists()
        or hub.invited_addresses.filter(email=email).exists()
    )


def _refusal(hub: Hub) -> HubError:
    return HubError(
        _(
            "Sorry, %(company)s's Wellbeing Hub is open to its employees' work e-mail "
            "addresses, and this one is not among them. Use your work address, or ask "
            "your HR team to invite you."
        )
        % {"company": hub.company.name}
    )


def hub_sign_up(
    *,
    hub: Hub,
    name: str,
    email: str,
    password: str,
    language: str,
    time_zone: str,
    send_link: bool = True,
) -> User:
    """A new account that joins the hub; refused (and nothing made) if not eligible."""
    if not hub_eligible(hub=hub, email=email):
        raise _refusal(hub)
    with transaction.atomic():
        user = user_sign_up(
            name=name, email=email, password=password, language=language, time_zone=time_zone
        )
        membership_join(hub=hub, user=user, email=email, send_link=send_link)
    return user


def membership_join(*, hub: Hub, user: User, email: str, send_link: bool = True) -> Membership:
    """Join (or rejoin) with a work address; credits wait until it is confirmed.

    `send_link=False` (the caller's rate limit for e-mails was hit) does the same
    but sends no confirmation: joining again later sends a fresh one."""
    email = email.strip().lower()
    if not hub_eligible(hub=hub, email=email):
        raise _refusal(hub)
    # Whether another account already uses the address is not said here: the
    # answer would tell anyone (HR included) who is a member. The link goes to
    # the address; only its owner can confirm, and confirming checks (below).
    with transaction.atomic():
        membership, _created = Membership.objects.select_for_update().get_or_create(
            hub=hub, user=user, defaults={"email": email}
        )
        if membership.status == Membership.Status.ACTIVE:
            return membership
        if membership.status == Membership.Status.REMOVED:
            raise HubError(_("Your membership of this hub has ended. Ask your HR team."))
        membership.email = email
        membership.save(update_fields=["email"])
        if send_link:
            transaction.on_commit(lambda: _enqueue_verification(membership.pk))
    return membership


def _enqueue_verification(membership_id: int) -> None:
    from tengja.hubs.tasks import membership_verification_send

    membership_verification_send.enqueue(membership_id=membership_id)


def membership_verification_send(*, membership_id: int) -> None:
    """E-mail a link that proves the member owns the work address; only its hash is kept."""
    membership = Membership.objects.select_related("hub__company", "user").get(pk=membership_id)
    if membership.status != Membership.Status.PENDING:
        return
    raw, hashed = token_make()
    Membership.objects.filter(pk=membership.pk).update(
        verify_token_hash=hashed, verify_expires_at=timezone.now() + VERIFY_TIMEOUT
    )
    user = membership.user
    subject, text, html = email_render(
        template="hub-verify",
        context={
            "user": user,
            "hub": membership.hub,
            "link": settings.SITE_URL + reverse("hubs:verify", kwargs={"token": raw}),
        },
        language=user.language,
        time_zone=user.time_zone,
    )
    email_deliver_now(to=membership.email, subject=subject, text=text, html=html)


def membership_for_token(*, token: str) -> Membership:
    membership = (
        Membership.objects.select_related("hub__company")
        .filter(verify_token_hash=token_hash(token))
        .first()
    )
    if membership is None or not token:
        raise HubError(_("This link is not valid. Open the newest e-mail, or join the hub again."))
    if membership.verify_expires_at is None or membership.verify_expires_at <= timezone.now():
        raise HubError(_("This link has expired. Join the hub again to get a new one."))
    return membership


def membership_verify(*, token: str, user: User) -> Membership:
    """Confirm the address (once), activate the membership and grant the credits."""
    with transaction.atomic():
        membership = membership_for_token(token=token)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.user_id != user.pk:
            raise HubError(_("This link belongs to another account. Sign in with that one."))
        if membership.status == Membership.Status.REMOVED:
            raise HubError(_("Your membership of this hub has ended. Ask your HR team."))
        if membership.status != Membership.Status.PENDING:
            raise HubError(_("This link has already been used."))
        taken = HubError(
            _("This work address already has credits in this hub, with another account.")
        )
        others = Membership.objects.filter(
            hub=membership.hub_id, email=membership.email, status=Membership.Status.ACTIVE
        )
        if others.exclude(pk=membership.pk).exists():
            raise taken
        now = timezone.now()
        membership.status = Membership.Status.ACTIVE
        membership.verified_at = now
        membership.verify_token_hash = ""
        try:
            with transaction.atomic():  # two accounts confirming one address at once
                membership.save(update_fields=["status", "verified_at", "verify_token_hash"])
        except IntegrityError:
            raise taken from None
        credits_renew(membership=membership, now=now)
    return membership


def _current_grant(membership: Membership, now: datetime) -> CreditEntry | None:
    return (
        membership.ledger.filter(kind=CreditEntry.Kind.GRANT, expires_at__gt=now)
        .order_by("-expires_at")
        .first()
    )


def _credit(*, membership: Membership, **fields) -> CreditEntry:
    """Every change of a member's credits is an entry in their ledger, written here."""
    return CreditEntry.objects.create(membership=membership, **fields)


def balance(*, membership: Membership, now: datetime | None = None) -> int:
    """Credits the member may spend now: the ledger's sum while the period lasts;
    none once it has ended, until credits_renew records the expiry and the new grant."""
    total, ends = _ledger(membership, now or timezone.now())
    return total if ends else 0


def credits_left(*, membership: Membership) -> tuple[int, datetime | None]:
    """The credits the member may spend now and when they expire (the end of the
    current period; 0 and None outside one): one query."""
    total, ends = _ledger(membership, timezone.now())
    return (total, ends) if ends else (0, None)


def _ledger(membership: Membership, now: datetime) -> tuple[int, datetime | None]:
    """The ledger's sum, and when its current period ends (selectors.period_ends)."""
    totals = membership.ledger.aggregate(total=Sum("amount"), ends=period_ends(now))
    return totals["total"] or 0, totals["ends"]


def credits_renew(*, membership: Membership, now: datetime | None = None) -> bool:
    """At the end of a period, expire what is left and grant the new period's
    credits, which expire `period_months` after the old ones did (so a late run
    does not shift the periods). Once per period: with the membership locked."""
    now = now or timezone.now()
    if membership.status != Membership.Status.ACTIVE or _current_grant(membership, now):
        return False
    hub = membership.hub
    left = membership.ledger.aggregate(total=Sum("amount"))["total"] or 0
    if left > 0:
        _credit(membership=membership, kind=CreditEntry.Kind.EXPIRE, amount=-left, created_at=now)
    last = (
        membership.ledger.filter(kind=CreditEntry.Kind.GRANT, expires_at__isnull=False)
        .order_by("-expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    expires_at = last or now
    while expires_at <= now:
        expires_at = add_months(expires_at, hub.period_months)
    if hub.credits_per_period:
        _credit(
            membership=membership,
            kind=CreditEntry.Kind.GRANT,
            amount=hub.credits_per_period,
            created_at=now,
            expires_at=expires_at,
        )
    return True


def credits_renew_due(*, now: datetime | None = None) -> int:
    """Every active membership whose period has ended gets its expiry and its new
    grant (run on a clock by the `periodic` command; pages only read). Returns how
    many were renewed."""
    now = now or timezone.now()
    current = CreditEntry.objects.filter(
        membership=OuterRef("pk"), kind=CreditEntry.Kind.GRANT, expires_at__gt=now
    )
    due = (
        Membership.objects.filter(status=Membership.Status.ACTIVE, hub__credits_per_period__gt=0)
        .exclude(Exists(current))
        .values_list("pk", flat=True)
    )
    renewed = 0
    for membership_id in list(due):
        with transaction.atomic():
            membership = (
                Membership.objects.select_for_update().select_related("hub").get(pk=membership_id)
            )
            renewed += credits_renew(membership=membership, now=now)
    return renewed


def offer_time_is_free(*, offer: HubProfessional, starts_at: datetime) -> bool:
    """Whether `starts_at` is one of the offer's free times: the professional's
    hours, time off, sessions and calendar rules (looked up on that day alone,
    in their zone, as the offer page groups them)."""
    professional = (
        type(offer.professional).objects.select_related("user").get(pk=offer.professional_id)
    )
    day = timezone.localtime(starts_at, zoneinfo.ZoneInfo(professional.user.time_zone)).date()
    assert offer.session_type is not None  # an accepted offer has one
    free = free_slots(
        professionals=[professional], duration=offer.session_type.duration, start=day, days=1
    ).get(professional.pk, [])
    return starts_at in {slot.starts_at for slot in free}


def hub_book(
    *, membership: Membership, offer: HubProfessional, starts_at: datetime, use_credits: bool = True
) -> Booking:
    """Book an offered professional. With credits enough, the session costs credits
    (a spend entry); without, it is the member's own cost (invoiced as usual)."""
    if offer.hub_id != membership.hub_id or offer.status != HubProfessional.Status.ACCEPTED:
        raise HubError(_("This professional is not offered in your hub."))
    with transaction.atomic():
        locked = Membership.objects.select_for_update().select_related("hub").get(pk=membership.pk)
        if locked.status != Membership.Status.ACTIVE:
            raise HubError(_("Confirm your work e-mail first: the link is in your inbox."))
        credits_renew(membership=locked)
        assert offer.session_type is not None  # an accepted offer has one
        if not offer_time_is_free(offer=offer, starts_at=starts_at):
            raise HubError(_("That time is not free. Choose one of the free times."))
        price = locked.hub.credits_per_session  # one price in the hub, read now
        paid_with = Booking.PaidWith.INVOICE
        if use_credits:
            if balance(membership=locked) < price:
                raise HubError(_("You do not have enough credits left for this session."))
            paid_with = Booking.PaidWith.CREDITS
        try:
            booking = booking_create(
                professional=offer.professional,
                session_type=offer.session_type,
                starts_at=starts_at,
                client=locked.user,
                paid_with=paid_with,
                credits=price,
                cancellation_notice_hours=CREDIT_NOTICE_HOURS,
            )
        except BookingError as error:
            raise HubError(str(error)) from None
        if paid_with == Booking.PaidWith.CREDITS:
            _credit(
                membership=locked,
                kind=CreditEntry.Kind.SPEND,
                amount=-price,
                booking=booking,
            )
    return booking


def on_booking_event(event: BookingEvent) -> None:
    """A cancelled credit session gives the credit back, unless the member cancelled
    within 24 hours (then the professional keeps it); a request for more credits
    asked from it closes. See tengja.bookings.events.

    A move changes neither: the session still takes place, and whether the
    member needs more credits is as true as before."""
    booking = event.booking
    if event.kind != Kind.CANCELLED:
        return
    if booking.paid_with == Booking.PaidWith.CREDITS and not booking.late_cancellation:
        _credit_return(booking)
    # After the refund: the member's row, then their requests, as HR's decision
    # takes them (credit_request_decide), so the two never wait on each other.
    credit_requests_close(booking=booking)


def _credit_return(booking: Booking) -> None:
    spent = CreditEntry.objects.filter(booking=booking, kind=CreditEntry.Kind.SPEND).first()
    if spent is None:
        return
    membership = (
        Membership.objects.select_for_update().select_related("hub").get(pk=spent.membership_id)
    )
    if not CreditEntry.objects.filter(booking=booking, kind=CreditEntry.Kind.REFUND).exists():
        # Back into the current period: it expires with the credits granted now.
        now = timezone.now()
        credits_renew(membership=membership, now=now)
        current = _current_grant(membership, now)
        _credit(
            membership=membership,
            kind=CreditEntry.Kind.REFUND,
            amount=-spent.amount,
            booking=booking,
            expires_at=current.expires_at if current else None,
        )


def membership_remove(*, hub: Hub, email: str) -> bool:
    """HR removes a member by address; what they booked stays."""
    members = Membership.objects.filter(hub=hub, email=email.strip().lower()).exclude(
        status=Membership.Status.REMOVED
    )
    return bool(members.update(status=Membership.Status.REMOVED, removed_at=timezone.now()))


def credit_request_create(*, booking: Booking, credits: int) -> CreditRequest:
    """The session's professional asks the member's company for more credits."""
    if not 1 <= credits <= 50:
        raise HubError(_("Ask for between 1 and 50 credits."))
    with transaction.atomic():
        # The session locked, so a cancellation either comes first (and is seen
        # here) or after (and closes the request: on_booking_event).
        locked = Booking.objects.select_for_update(no_key=True).get(pk=booking.pk)
        if locked.is_cancelled:
            raise HubError(_("This session has been cancelled, so there is nothing to ask for."))
        spent = (
            CreditEntry.objects.filter(booking=booking, kind=CreditEntry.Kind.SPEND)
            .select_related("membership")
            .first()
        )
        if spent is None:
            raise HubError(_("This session was not booked through a Wellbeing Hub."))
        return CreditRequest.objects.create(
            membership_id=spent.membership_id,
            professional=booking.professional,
            booking=booking,
            credits=credits,
        )


def credit_requests_close(*, booking: Booking | None = None, user: User | None = None) -> int:
    """Close the requests still waiting for the session (cancelled) or for the
    person's memberships (their account deleted): HR can no longer approve them.
    Returns how many closed."""
    if booking is None and user is None:
        return 0
    waiting = CreditRequest.objects.filter(status=CreditRequest.Status.PENDING)
    if booking is not None:
        waiting = waiting.filter(booking=booking)
    if user is not None:
        waiting = waiting.filter(membership__user=user)
    # Conditional: a request HR decided a moment ago stays decided.
    return waiting.update(status=CreditRequest.Status.CLOSED, decided_at=timezone.now())


def credit_request_decide(*, request: CreditRequest, approve: bool) -> None:
    """HR approves (the credits are granted now) or declines a waiting request.

    Locks the member's row, then the request, the order a cancellation takes them
    (its refund, then closing the request), so of HR's decision and a
    cancellation at the same moment, one waits for the other: a request closed
    first is refused here and changes nothing; one decided first stays decided."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("hub")
            .get(pk=request.membership_id)
        )
        request = CreditRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == CreditRequest.Status.CLOSED:
            raise HubError(
                _(
                    "This request closed when its session was cancelled or the member "
                    "left, so nothing was changed."
                )
            )
        if request.status != CreditRequest.Status.PENDING:
            raise HubError(_("This request has already been decided."))
        request.status = CreditRequest.Status.APPROVED if approve else CreditRequest.Status.DECLINED
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_at"])
        if approve:
            credits_renew(membership=membership)
            current_grant = (
                CreditEntry.objects.filter(
                    membership_id=request.membership_id, kind=CreditEntry.Kind.GRANT
                )
                .order_by("-created_at")
                .first()
            )
            _credit(
                membership=membership,
                kind=CreditEntry.Kind.GRANT,
                amount=request.credits,
                expires_at=current_grant.expires_at if current_grant else None,
            )


# ------------------------------------------------------------------ for HR


def hub_settings_update(
    *,
    hub: Hub,
    welcome_text: str,
    credits_per_period: int,
    period_months: int,
    credits_per_session: int,
    time_zone: str,
    wellbeing_every_weeks: int | None = None,
) -> None:
    """What members get and what a session costs (sessions booked keep their
    price), and the zone the hub's months are counted in from the next month on
    (Hub.time_zone_set: a month is cut once)."""
    with transaction.atomic():
        locked = Hub.objects.select_for_update().get(pk=hub.pk)
        zone_fields = locked.time_zone_set(time_zone)
        hub.time_zone, hub.time_zone_history = locked.time_zone, locked.time_zone_history
        hub.welcome_text = welcome_text
        hub.credits_per_period = credits_per_period
        hub.period_months = period_months
        hub.credits_per_session = credits_per_session
        if wellbeing_every_weeks is not None:
            hub.wellbeing_every_weeks = wellbeing_every_weeks
        hub.save(
            update_fields=[
                "wellbeing_every_weeks",
                "welcome_text",
                "credits_per_period",
                "period_months",
                "credits_per_session",
                *zone_fields,
            ]
        )


def hub_domain_add(*, hub: Hub, domain: str) -> HubDomain:
    """Addresses at the domain may join (adding one twice is harmless)."""
    return HubDomain.objects.get_or_create(hub=hub, domain=domain_normalise(domain))[0]


def hub_domain_remove(*, hub: Hub, domain: str) -> None:
    """New addresses at the domain may no longer join; members stay members."""
    hub.domains.filter(domain=domain_normalise(domain)).delete()


def hub_address_invite(*, hub: Hub, email: str) -> HubInvitedAddress:
    """One address may join whatever its domain (a contractor, a private address)."""
    return HubInvitedAddress.objects.get_or_create(hub=hub, email=email.strip().lower())[0]


def hub_offer_ask(*, hub: Hub, professional_email: str, send_email: bool = True) -> None:
    """Ask the professional at this address to be offered in the hub; they accept
    (choosing the session type members book) or decline. Nothing comes back to
    HR, so the form cannot tell whether an address is a professional's."""
    professional = (
        Professional.objects.select_related("user")
        .filter(user__email=professional_email.strip().lower(), is_active=True)
        .first()
    )
    if professional is None:
        return
    with transaction.atomic():
        offer, created = HubProfessional.objects.select_for_update().get_or_create(
            hub=hub, professional=professional
        )
        if not created and offer.status != HubProfessional.Status.DECLINED:
            return  # asked already, or accepted
        offer.status, offer.asked_at, offer.answered_at = (
            HubProfessional.Status.ASKED,
            timezone.now(),
            None,
        )
        offer.save(update_fields=["status", "asked_at", "answered_at"])
        if not send_email:
            return  # over the rate limit: they still see the question on their page
        user = professional.user
        email_send(
            template="hub-offer",
            to=user.email,
            context={
                "user": user,
                "hub": hub,
                "url": settings.SITE_URL + reverse("dashboard:practice_hubs"),
            },
            language=user.language,
            time_zone=user.time_zone,
        )


def hub_offer_answer(
    *, offer: HubProfessional, accept: bool, session_type: SessionType | None = None
) -> None:
    """The professional accepts, with the session type members book, or declines
    (also after accepting: they leave the hub; sessions booked stay)."""
    if accept and (
        session_type is None
        or session_type.professional_id != offer.professional_id
        or not session_type.is_active
    ):
        raise HubError(_("Choose one of your session types."))
    offer.status = HubProfessional.Status.ACCEPTED if accept else HubProfessional.Status.DECLINED
    offer.session_type = session_type if accept else offer.session_type
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "session_type", "answered_at"])


def hub_offer_remove(*, hub: Hub, professional_code: str) -> None:
    """Members can no longer book the professional here; booked sessions stay."""
    offers = hub.offers.filter(professional__code=professional_code)
    offers.delete()
