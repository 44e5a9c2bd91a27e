from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tengja.lib.codes import public_code
from tengja.lib.money import CURRENCIES
from tengja.professionals.models import ADDRESS_MAX_LENGTH, Professional, SessionType

# A session's call opens this long before its start (and closes VIDEO_GRACE_MINUTES
# after its end).
JOIN_OPENS_BEFORE = timedelta(minutes=15)
# Sessions are booked (and moved) at most this far ahead; it also keeps every
# date the code computes from a start (its end, reminders, calendar files) in range.
BOOKING_HORIZON = timedelta(days=2 * 366)
# The longest private note a professional may keep on a cancellation.
CANCEL_NOTE_MAX = 2000


def client_known(*, client_id: int | None, invited: bool, accepted_at) -> bool:
    """The rule of Booking.client_is_known, for rows read as values (the
    professional's week): a client with an account who booked themselves, or
    accepted the invitation."""
    return client_id is not None and (not invited or accepted_at is not None)


# A series has at most this many sessions (and ends within BOOKING_HORIZON).
SERIES_MAX = 52


class BookingSeries(models.Model):
    """Sessions a professional booked at once on a rule (every week, every other
    week, every month), each its own Booking (own bill, reminders, calendar event)
    and all sent to the client in one invitation (bookings.services.series_invite)."""

    class Rule(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        BIWEEKLY = "biweekly", _("Every other week")
        MONTHLY = "monthly", _("Monthly")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="booking_series"
    )
    rule = models.CharField(_("repeats"), max_length=10, choices=Rule)
    # As asked: so many sessions, or until a date (then `count` is how many that made).
    count = models.PositiveSmallIntegerField(_("number of sessions"))
    until = models.DateField(_("until"), null=True, blank=True)
    # The zone whose wall-clock time the sessions keep across clock changes.
    time_zone = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("series of sessions")
        verbose_name_plural = _("series of sessions")

    def __str__(self) -> str:
        return f"{self.get_rule_display()} x{self.count}"


def session_state(
    *,
    status: str,
    cancel_reason: str,
    completed_at: datetime | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> "Booking.State":
    """The rule of Booking.state, for rows read as values (the professional's week)."""
    State, Reason = Booking.State, Booking.CancelReason
    if status == Booking.Status.CANCELLED:
        if cancel_reason == Reason.MISTAKE:
            return State.VOID
        return State.NO_SHOW if cancel_reason == Reason.NO_SHOW else State.CANCELLED
    if completed_at is not None:
        return State.DONE
    if ends_at <= now:
        return State.ENDED
    return State.IN_PROGRESS if starts_at <= now else State.PLANNED


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    class PaidWith(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDITS = "credits", _("Credits")

    class Role(models.TextChoices):
        """The two people of a session."""

        CLIENT = "client", _("Client")
        PROFESSIONAL = "professional", _("Professional")

    class CancelReason(models.TextChoices):
        """Why a cancelled session did not happen, as the professional records it
        (a client's own cancellation is BY_CLIENT). A no-show and a session entered
        by mistake (void: never billed) are cancellations with their own reason."""

        NONE = "", "-"
        BY_PROFESSIONAL = "professional", _("Cancelled by the professional")
        BY_CLIENT = "client", _("Cancelled by the client")
        NO_SHOW = "no_show", _("The client did not come")
        OTHER = "other", _("Other reason")
        MISTAKE = "mistake", _("Entered by mistake")

    class State(models.TextChoices):
        """Where a session stands, in every list and on every page: planned → in
        progress → ended (until the professional marks it) → done; or cancelled,
        a no-show, or void. Derived from status, cancel_reason, completed_at and
        the clock (Booking.state, and bookings.selectors.with_state in SQL)."""

        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        ENDED = "ended", _("Ended, not marked done")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")
        VOID = "void", _("Void")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.PROTECT, related_name="bookings"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bookings",
        null=True,
        blank=True,
        help_text=_("Empty until an invited client creates an account."),
    )
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    # One of a recurring series (its sessions in order of their start).
    series = models.ForeignKey(
        BookingSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.CONFIRMED)
    # A snapshot of the price when booked: later price changes do not alter it.
    price_amount = models.PositiveIntegerField(_("price (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    cancellation_notice_hours = models.PositiveSmallIntegerField(default=24)
    # Where an on-site session takes place, kept from its type when booked (as the
    # price is): a later edit of the type moves no session already booked. Empty
    # for a video session; a session with a location has no call.
    location = models.CharField(_("location"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    # Grows with every change, so calendar apps replace their copy (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    paid_with = models.CharField(
        _("paid with"), max_length=10, choices=PaidWith, default=PaidWith.INVOICE
    )
    # For a session paid with credits: how many, as the price is kept for one paid by bill.
    credits = models.PositiveSmallIntegerField(_("credits"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=12, choices=Role, blank=True)
    # A client's cancellation within the notice period, or a late cancellation or
    # no-show the professional chose to charge for: the session stays payable.
    late_cancellation = models.BooleanField(default=False)
    cancel_reason = models.CharField(
        _("reason"), max_length=12, choices=CancelReason, blank=True, default=""
    )
    # The professional's own words on a cancellation: never shown to the client,
    # a hub or anyone else, never in an e-mail or an export for the client.
    cancel_note = models.TextField(_("private note"), max_length=CANCEL_NOTE_MAX, blank=True)
    # Whether the client was told of the cancellation (the professional may
    # record a no-show without a message).
    client_told = models.BooleanField(default=True)
    # Marked done by the professional (at the end of the call, or later).
    completed_at = models.DateTimeField(null=True, blank=True)
    # Why the professional chose not to bill a done session (its bill voided).
    payment_skipped_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        # Each person's sessions in order, from either side: what is to come by
        # its end (still to come while it has not ended), the rest by its start.
        indexes = [
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["professional", "starts_at"]),
            models.Index(fields=["client", "ends_at"], name="booking_client_ends"),
            models.Index(fields=["professional", "ends_at"], name="booking_professional_ends"),
            # A professional's clients, each read once, and each one's sessions to
            # come and last one held (dashboard.selectors.PracticeClients).
            models.Index(
                fields=["professional", "client", "ends_at"], name="booking_professional_client"
            ),
            # The professionals a client has seen, without reading the sessions;
            # and the sessions of one client with one professional, in order.
            models.Index(
                fields=["client", "professional", "starts_at"],
                name="booking_client_professional",
            ),
            # A client's sessions paid with credits (Payments), however few.
            models.Index(
                fields=["client", "starts_at"],
                condition=Q(paid_with="credits"),
                name="booking_client_credits",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_order"),
        ]
        # On PostgreSQL an exclusion constraint also refuses overlapping confirmed
        # bookings of one professional (migration 0002).

    def __str__(self) -> str:
        return f"{self.session_type} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @classmethod
    def of_type(cls, session_type: SessionType, starts_at: datetime, **fields) -> "Booking":
        """A new session of `session_type` at `starts_at`, with what it takes from
        the type as it is now: its length, price, currency, place and notice
        period (later changes to the type do not alter it)."""
        fields.setdefault("cancellation_notice_hours", session_type.cancellation_notice_hours)
        return cls(
            professional=session_type.professional,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=starts_at + session_type.duration,
            price_amount=session_type.price_amount,
            currency=session_type.currency,
            location=session_type.location,
            **fields,
        )

    def state(self, now: datetime | None = None) -> "Booking.State":
        """Where the session stands (the rule bookings.selectors.with_state says in SQL)."""
        return session_state(
            status=self.status,
            cancel_reason=self.cancel_reason,
            completed_at=self.completed_at,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            now=now or timezone.now(),
        )

    @property
    def is_on_site(self) -> bool:
        """At an address, with no video call (no Join button, no call page)."""
        return bool(self.location)

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None and not self.is_cancelled

    @property
    def awaits_done(self) -> bool:
        """Started, and neither cancelled nor marked done yet: the professional may
        mark it done (Booking.done_refusal, for them)."""
        return (
            not self.is_cancelled and self.completed_at is None and self.starts_at <= timezone.now()
        )

    @property
    def is_chargeable(self) -> bool:
        """Paid by bill, and done, or cancelled late or missed and kept payable:
        the professional may charge its bill, if it is open, to the client's card."""
        if self.paid_with != self.PaidWith.INVOICE:
            return False
        return self.late_cancellation if self.is_cancelled else self.completed_at is not None

    @property
    def paid_with_credits(self) -> bool:
        return self.paid_with == self.PaidWith.CREDITS

    @property
    def client_is_known(self) -> bool:
        """Whether the professional may see who the client is: the client booked
        it themselves (in a hub), or has accepted the professional's invitation
        (opened its link or the session). Until then an invitation to an address
        that has an account reads exactly like one to an address that has none."""
        try:
            invitation = self.invitation
        except Invitation.DoesNotExist:
            invitation = None
        return client_known(
            client_id=self.client_id,
            invited=invitation is not None,
            accepted_at=invitation and invitation.accepted_at,
        )

    @property
    def client_label(self) -> str:
        """The client as the professional sees them: their name once known, else
        the invited address."""
        if self.client_is_known and self.client is not None:
            return self.client.display_name
        return self.invitation.email

    @property
    def from_request(self) -> bool:
        """Whether it was booked by accepting the client's request (BookingRequest)."""
        return hasattr(self, "request")

    def role_of(self, user) -> "Booking.Role | None":
        """Whether the user is this session's client, its professional, or neither."""
        if user is None or not user.is_authenticated:
            return None
        if self.client_id == user.pk:
            return self.Role.CLIENT
        if self.professional.user_id == user.pk:
            return self.Role.PROFESSIONAL
        return None

    def join_window(self) -> tuple[datetime, datetime]:
        """When the call is open: the Join button shows, and the room lets them in."""
        grace = timedelta(minutes=settings.VIDEO_GRACE_MINUTES)
        return self.starts_at - JOIN_OPENS_BEFORE, self.ends_at + grace

    def is_joinable(self, now: datetime | None = None) -> bool:
        """Whether the call is open now; an on-site session has none."""
        if self.is_cancelled or self.is_on_site:
            return False
        opens, closes = self.join_window()
        return opens <= (now or timezone.now()) < closes

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at <= (now or timezone.now())

    def cancel_refusal(
        self,
        role: "Booking.Role | None",
        now: datetime | None = None,
        reason: "Booking.CancelReason | str | None" = None,
    ):
        """Why `role` cannot cancel the session now (for `reason`, the professional's
        choice; by default cancelled by them), or None if they can. A client until
        the start. The professional until the end; a no-show only once it has
        started, and a no-show or a mistake (void) after the end too; nothing once
        it is marked done."""
        now = now or timezone.now()
        Reason = self.CancelReason
        if role is None:
            return _("This session is not yours to cancel.")
        if self.is_cancelled:
            return _("This session has already been cancelled.")
        if role == self.Role.CLIENT:
            if self.starts_at <= now:
                return _("This session has already started and can no longer be cancelled.")
            return None
        reason = reason or Reason.BY_PROFESSIONAL
        if reason not in Reason.values or reason == Reason.NONE:
            return _("Choose one of the reasons.")
        if self.completed_at is not None:
            return _(
                "This session is marked done, so it can no longer be cancelled or recorded "
                "as a no-show."
            )
        if reason == Reason.NO_SHOW and self.starts_at > now:
            return _(
                "The client can be recorded as not having come only once the session has started."
            )
        if self.is_past(now) and reason not in (Reason.NO_SHOW, Reason.MISTAKE):
            return _(
                "This session is over: it can now only be recorded as a no-show or as "
                "entered by mistake."
            )
        return None

    def done_refusal(self, role: "Booking.Role | None", now: datetime | None = None):
        """Why `role` cannot mark the session done now, or None if they can: only
        its professional, once it has started, while it is neither cancelled nor
        already done."""
        if role != self.Role.PROFESSIONAL:
            return _("Only the session's professional can mark it done.")
        if self.is_cancelled:
            return _("This session has been cancelled, so it cannot be marked done.")
        if self.completed_at is not None:
            return _("This session is already marked done.")
        if self.starts_at > (now or timezone.now()):
            return _("This session has not started yet, so it cannot be marked done.")
        return None

    def cancel_reasons(self, now: datetime | None = None) -> list["Booking.CancelReason"]:
        """The reasons the professional may record now (cancel_refusal allows)."""
        now = now or timezone.now()
        return [
            reason
            for reason in self.CancelReason
            if reason != self.CancelReason.NONE
            and self.cancel_refusal(self.Role.PROFESSIONAL, now, reason) is None
        ]

    def may_charge_for(self, reason: str, now: datetime | None = None) -> bool:
        """Whether the professional may charge for the session when cancelling it
        for `reason`, under their cancellation policy: a session paid by bill,
        cancelled by the client within the notice period, or a no-show. Their own
        cancellation or a mistake never is; a credit follows the hub's rule."""
        if self.paid_with_credits or not self.price_amount:
            return False
        if reason == self.CancelReason.NO_SHOW:
            return True
        return reason == self.CancelReason.BY_CLIENT and self.is_late_for_client(now)

    def phase(self, now: datetime | None = None) -> str:
        """Where the session stands, as its page says it: "cancelled", "past",
        "started", "late" (within the notice period: a client's cancellation now
        is late) or "free" (cancelling is free)."""
        now = now or timezone.now()
        if self.is_cancelled:
            return "cancelled"
        if self.is_past(now):
            return "past"
        if self.starts_at <= now:
            return "started"
        return "late" if self.is_late_for_client(now) else "free"

    def is_late_for_client(self, now=None) -> bool:
        """Whether a client's cancellation now falls within the notice period."""
        return (now or timezone.now()) > self.client_changes_until()

    def client_changes_until(self) -> datetime:
        """The end of the notice period: until then the client may move the session
        themselves, or cancel it free of charge (at this very moment still in time)."""
        return self.starts_at - timedelta(hours=self.cancellation_notice_hours)

    def move_refusal(self, role: "Booking.Role | None", now: datetime | None = None) -> str | None:
        """Why `role` cannot move the session now, or None if they can.

        The professional may move it while it is not cancelled, as they arrange it.
        The client may move it themselves (to one of the professional's free times)
        until the notice period before the start, the one that makes a cancellation
        late (a hub session's is the credit's 24 hours); after that, the client is
        told whom to ask. The session page and bookings.services.booking_move both
        ask this."""
        now = now or timezone.now()
        if role is None:
            return gettext("This session is not yours to move.")
        if role == self.Role.PROFESSIONAL:
            return gettext("This session has been cancelled.") if self.is_cancelled else None
        if self.is_cancelled:
            # Nothing to arrange for it: whom to contact is for a session still on.
            return gettext("This session has been cancelled, so it cannot be moved.")
        if self.is_past(now):
            reason = gettext("This session is over, so it cannot be moved.")
        elif self.starts_at <= now:
            reason = gettext("This session has already started, so it can no longer be moved.")
        elif self.is_late_for_client(now):
            hours = self.cancellation_notice_hours
            reason = ngettext(
                "You can move a session yourself until %(hours)s hour before it starts; "
                "this one starts sooner.",
                "You can move a session yourself until %(hours)s hours before it starts; "
                "this one starts sooner.",
                hours,
            ) % {"hours": hours}
        else:
            return None
        name = self.professional.user.name
        if self.professional.contact_email:
            contact = gettext("To arrange another time, contact %(name)s at %(email)s.") % {
                "name": name,
                "email": self.professional.contact_email,
            }
        else:
            # Messages (tengja.messaging) are the way to reach them: the refusal's
            # notice carries the "Message" button.
            contact = gettext(
                "%(name)s has not shared any contact details on Tengja: send them a "
                "message to arrange another time."
            ) % {"name": name}
        return f"{reason} {contact}"


class Invitation(models.Model):
    """The link in a booking confirmation e-mail.

    For a new address it creates the client's account, once; afterwards, and for
    an existing client from the start, it only leads to the session after sign-in.
    """

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="invitation")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("booking invitation")
        verbose_name_plural = _("booking invitations")

    def __str__(self) -> str:
        return self.email


# How long a client may write when asking for a session, or a professional when
# declining one.
REQUEST_MESSAGE_MAX = 1000


class BookingRequest(models.Model):
    """A client asking a professional for a session at a time, from the
    professional's booking page, for a session type booked by request.

    The professional accepts (a Booking is made), declines (with an optional
    reason), or lets it expire; an open request never outlives its start
    (`expires_at`). The client may withdraw it while it is open.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="booking_requests"
    )
    session_type = models.ForeignKey(
        SessionType, on_delete=models.PROTECT, related_name="booking_requests"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_requests"
    )
    starts_at = models.DateTimeField(_("starts"))
    message = models.TextField(_("message"), max_length=REQUEST_MESSAGE_MAX, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    decline_reason = models.TextField(_("reason"), max_length=REQUEST_MESSAGE_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Unanswered by then, it expires (never later than the start).
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
    )

    class Meta:
        verbose_name = _("session request")
        verbose_name_plural = _("session requests")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["professional", "status", "starts_at"]),
            models.Index(fields=["client", "status", "starts_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.session_type} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def ends_at(self) -> datetime:
        """When the session asked for would end (the type's length as it is now)."""
        return self.starts_at + self.session_type.duration


class PageSignup(models.Model):
    """A visitor without an account who chose a time on a booking page: what
    they asked for, kept until they prove their e-mail address (issue 29).

    Nothing is booked and no account exists until the link in the e-mail is
    opened: then the account is made (with the password given here, kept only
    as Django's hash), and the time is booked or asked for. The link's token
    is made when the e-mail is sent (only its hash is kept); it works once,
    for PAGE_SIGNUP_HOURS."""

    session_type = models.ForeignKey(SessionType, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    message = models.TextField(max_length=REQUEST_MESSAGE_MAX, blank=True)
    name = models.CharField(max_length=150)
    email = models.EmailField()
    password_hash = models.CharField(max_length=128)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    time_zone = models.CharField(max_length=64)
    terms_version = models.CharField(max_length=20)
    terms_accepted_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # When the link was opened: the address is proven, the account made.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("booking page sign-up")
        verbose_name_plural = _("booking page sign-ups")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return self.email
