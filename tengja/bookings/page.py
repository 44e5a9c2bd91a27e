"""A professional's own booking page (issue 29): its free times, with the
professional's booking limits, and what a visitor does with one of them: book it
at once, ask for it, or first make an account and prove their e-mail address.

The page's times are the professional's free slots (bookings.slots: hours, time
off, notice, buffer) minus the days their limits close: a day (in their zone)
with max_sessions_per_day sessions, a week (Monday to Sunday, in their zone) with
max_sessions_per_week, and today when same_day_booking is off. Every booking is
checked again under the professional's lock, so the page's short cache
(PAGE_CACHE_SECONDS) can offer a time taken meanwhile, never book it twice.
"""

import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import BOOKING_HORIZON, Booking, BookingRequest, PageSignup
from tengja.bookings.requests import request_create
from tengja.bookings.services import BookingError, _lock_bookable, booking_create
from tengja.bookings.slots import Slot, free_slots
from tengja.lib.emails import email_deliver_now, email_render, email_send
from tengja.lib.tokens import token_hash, token_make
from tengja.professionals.models import Professional, SessionType, WeeklyAvailability

PAGE_DAYS = 7
# The pager goes this many weeks ahead at most (two years: BOOKING_HORIZON).
PAGE_WEEKS = 104
# Free times are shared by every visitor (they name nobody): kept this long, under
# the professional's calendar version (a change of hours or rules is seen at once).
PAGE_CACHE_SECONDS = 60
# How many next free times a refusal offers instead.
NEXT_TIMES = 5
PAGE_SIGNUP_HOURS = 24


class SlotTaken(BookingError):
    """The time is no longer one of the free times (taken, or closed by a limit)."""


# ------------------------------------------------------------------ reads


def booking_page(*, slug: str) -> Professional:
    """The professional whose page this is: 404 unless the page is on, they take
    new bookings and are set up (a profile, a session type offered, weekly hours)."""
    professional = (
        Professional.objects.select_related("user")
        .prefetch_related("languages", "specialties")
        .annotate(
            has_session_types=Exists(
                SessionType.objects.filter(professional=OuterRef("pk"), is_active=True)
            ),
            has_hours=Exists(WeeklyAvailability.objects.filter(professional=OuterRef("pk"))),
        )
        .filter(booking_slug=slug.lower()[:40], booking_page_on=True, is_active=True)
        .first()
    )
    if professional is None or not professional.is_set_up:
        raise Http404
    return professional


def page_session_types(*, professional: Professional) -> list[SessionType]:
    return list(
        SessionType.objects.filter(professional=professional, is_active=True).order_by("name", "pk")
    )


def page_session_type(*, professional: Professional, code: str) -> SessionType:
    session_type = SessionType.objects.filter(
        professional=professional, code=code, is_active=True
    ).first()
    if session_type is None:
        raise Http404
    session_type.professional = professional
    return session_type


def is_existing_client(*, professional: Professional, user: User | None) -> bool:
    """Whether `user` has had (or has booked) a session with the professional."""
    if user is None or not user.is_authenticated:
        return False
    return (
        Booking.objects.filter(professional=professional, client=user)
        .exclude(status=Booking.Status.CANCELLED)
        .exists()
    )


def page_refusal(
    *, professional: Professional, session_type: SessionType, user: User | None, existing: bool
) -> str | None:
    """Why `user` (None: a visitor) may not book `session_type`; None if they may."""
    if user is not None and user.pk == professional.user_id:
        return _("This is your own booking page: you cannot book a session with yourself.")
    if session_type.existing_clients_only and not existing:
        return _(
            "This session type is for existing clients only. If you have had a session "
            "with %(name)s, sign in to book it."
        ) % {"name": professional.user.name}
    return None


def _limited(professional: Professional, slots: list[Slot], now: datetime) -> list[Slot]:
    """`slots` without those on days the professional's limits close. One query
    (their sessions in the weeks the slots touch), however many there are."""
    per_day, per_week = professional.max_sessions_per_day, professional.max_sessions_per_week
    if not slots or (per_day is None and per_week is None and professional.same_day_booking):
        return slots
    zone = zoneinfo.ZoneInfo(professional.user.time_zone)
    today = timezone.localtime(now, zone).date()
    day_counts: Counter[date] = Counter()
    week_counts: Counter[tuple[int, int]] = Counter()
    if per_day is not None or per_week is not None:
        first = timezone.localtime(slots[0].starts_at, zone).date()
        last = timezone.localtime(slots[-1].starts_at, zone).date()
        since = datetime.combine(first - timedelta(days=first.weekday() + 1), time.min, UTC)
        until = datetime.combine(last + timedelta(days=8 - last.weekday()), time.min, UTC)
        for starts_at in Booking.objects.filter(
            professional=professional,
            status=Booking.Status.CONFIRMED,
            starts_at__gte=since,
            starts_at__lt=until,
        ).values_list("starts_at", flat=True):
            day = timezone.localtime(starts_at, zone).date()
            day_counts[day] += 1
            week_counts[day.isocalendar()[:2]] += 1
    kept = []
    for slot in slots:
        day = timezone.localtime(slot.starts_at, zone).date()
        if not professional.same_day_booking and day <= today:
            continue
        if per_day is not None and day_counts[day] >= per_day:
            continue
        if per_week is not None and week_counts[day.isocalendar()[:2]] >= per_week:
            continue
        kept.append(slot)
    return kept


def _free(
    professional: Professional, session_type: SessionType, start: date, days: int, now: datetime
) -> list[Slot]:
    """The free times of the type's length from `start` (a date in the
    professional's zone) for `days` days, within the limits."""
    slots = free_slots(
        professionals=[professional],
        duration=session_type.duration,
        start=start,
        days=days,
        now=now,
    ).get(professional.pk, [])
    return _limited(professional, slots, now)


def page_week_start(*, zone: zoneinfo.ZoneInfo, week: int, now: datetime | None = None) -> date:
    """The first day (in the visitor's zone) of the `week`-th week from today."""
    now = now or timezone.now()
    return timezone.localtime(now, zone).date() + timedelta(days=PAGE_DAYS * week)


def page_free_times(
    *,
    professional: Professional,
    session_types: list[SessionType],
    first_day: date,
    zone: zoneinfo.ZoneInfo,
    now: datetime | None = None,
) -> dict[int, list[tuple[date, list[Slot]]]]:
    """Per session type (by pk), its free times on the PAGE_DAYS days from
    `first_day` in the visitor's zone, grouped by the visitor's dates.

    The times are the same for every visitor, so each type's are kept
    PAGE_CACHE_SECONDS under the professional's calendar version; a few queries
    per session type on a miss, however many sessions there are."""
    now = now or timezone.now()
    # The visitor's days start and end within a day either side in any zone.
    start = first_day - timedelta(days=1)
    days = PAGE_DAYS + 2
    result = {}
    for session_type in session_types:
        key = (
            f"booking-page:{professional.pk}:{professional.calendar_version}:"
            f"{session_type.pk}:{session_type.duration_minutes}:{start.isoformat()}"
        )
        starts = cache.get(key)
        if starts is None:
            starts = [s.starts_at for s in _free(professional, session_type, start, days, now)]
            cache.set(key, starts, PAGE_CACHE_SECONDS)
        earliest = now + professional.min_notice
        grouped: dict[date, list[Slot]] = {}
        for starts_at in starts:
            if starts_at < earliest:
                continue  # kept a while: come within the notice since
            day = timezone.localtime(starts_at, zone).date()
            if first_day <= day < first_day + timedelta(days=PAGE_DAYS):
                slot = Slot(professional.pk, starts_at, starts_at + session_type.duration)
                grouped.setdefault(day, []).append(slot)
        result[session_type.pk] = sorted(grouped.items())
    return result


def page_time_offered(
    *, professional: Professional, session_type: SessionType, starts_at: datetime
) -> bool:
    """Whether `starts_at` is one of the page's free times for the type, worked
    out now (never from the cache): on that day alone, in the professional's zone."""
    now = timezone.now()
    if not now < starts_at <= now + BOOKING_HORIZON:
        return False
    day = timezone.localtime(starts_at, zoneinfo.ZoneInfo(professional.user.time_zone)).date()
    return starts_at in {s.starts_at for s in _free(professional, session_type, day, 1, now)}


def page_next_times(
    *, professional: Professional, session_type: SessionType, after: datetime
) -> list[Slot]:
    """The next few free times of the type from `after`'s day on (two weeks)."""
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(professional.user.time_zone)
    day = timezone.localtime(max(after, now), zone).date()
    free = _free(professional, session_type, day, 2 * PAGE_DAYS, now)
    return [slot for slot in free if slot.starts_at != after][:NEXT_TIMES]


def page_chosen_time(value: str) -> datetime | None:
    """A start as the page's links give it (ISO 8601, aware), within the horizon."""
    try:
        starts_at = datetime.fromisoformat(value[:40])
    except (ValueError, OverflowError):
        return None
    now = timezone.now()
    if starts_at.tzinfo is None or not now < starts_at <= now + BOOKING_HORIZON:
        return None
    return starts_at


# ------------------------------------------------------------------ writes


def _check(
    *, session_type: SessionType, client: User, starts_at: datetime, mode: str
) -> Professional:
    professional = session_type.professional
    if session_type.booking_mode != mode:
        raise BookingError(_("This session type is not offered that way."))
    existing = is_existing_client(professional=professional, user=client)
    refusal = page_refusal(
        professional=professional, session_type=session_type, user=client, existing=existing
    )
    if refusal:
        raise BookingError(refusal)
    return professional


def _hold_time(
    *, session_type: SessionType, client: User, starts_at: datetime, mode: str
) -> Professional:
    """The page's checks, then, in the caller's transaction, the professional's
    lock and the time still offered: of two visitors at once, the second is
    told the time was just taken."""
    professional = _check(session_type=session_type, client=client, starts_at=starts_at, mode=mode)
    _lock_bookable(professional)
    if not page_time_offered(
        professional=professional, session_type=session_type, starts_at=starts_at
    ):
        raise SlotTaken(_("That time was just taken. Choose one of the next free times."))
    return professional


def page_book(*, client: User, session_type: SessionType, starts_at: datetime) -> Booking:
    """Book a type bookable at once, invoiced to the client: only at one of the
    page's free times."""
    with transaction.atomic():
        professional = _hold_time(
            session_type=session_type,
            client=client,
            starts_at=starts_at,
            mode=SessionType.BookingMode.INSTANT,
        )
        return booking_create(
            professional=professional,
            session_type=session_type,
            starts_at=starts_at,
            client=client,
            paid_with=Booking.PaidWith.INVOICE,
        )


def page_request(
    *, client: User, session_type: SessionType, starts_at: datetime, message: str = ""
) -> BookingRequest:
    """Ask for a time of a type booked by request (the professional answers)."""
    with transaction.atomic():
        _hold_time(
            session_type=session_type,
            client=client,
            starts_at=starts_at,
            mode=SessionType.BookingMode.REQUEST,
        )
        return request_create(
            client=client, session_type=session_type, starts_at=starts_at, message=message
        )


def page_signup_start(
    *,
    session_type: SessionType,
    starts_at: datetime,
    message: str,
    name: str,
    email: str,
    password: str,
    language: str,
    time_zone: str,
) -> None:
    """Keep what a visitor asked for and e-mail them a link to confirm it.

    An address that already has an account is sent a note to sign in and book
    instead (and nothing is kept): the visitor sees the same page either way."""
    email = email.strip().lower()
    professional = session_type.professional
    # Hashed either way, so the time the page takes does not tell whether the
    # address has an account.
    password_hash = make_password(password)
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        email_send(
            template="booking-page-has-account",
            to=existing.email,
            context={
                "user": existing,
                "professional_name": professional.user.name,
                "page_url": settings.SITE_URL
                + reverse("bookings:page", kwargs={"slug": professional.booking_slug}),
                "sign_in_url": settings.SITE_URL + reverse("accounts:login"),
            },
            language=existing.language,
            time_zone=existing.time_zone,
        )
        return
    now = timezone.now()
    with transaction.atomic():
        signup = PageSignup.objects.create(
            session_type=session_type,
            starts_at=starts_at,
            message=message.strip(),
            name=name,
            email=email,
            password_hash=password_hash,
            language=language,
            time_zone=time_zone,
            terms_version=settings.TERMS_VERSION,
            terms_accepted_at=now,
            token_hash=token_make()[1],  # replaced when the link is sent
            created_at=now,
            expires_at=now + timedelta(hours=PAGE_SIGNUP_HOURS),
        )
        from tengja.bookings.tasks import page_signup_send as task

        transaction.on_commit(lambda: task.enqueue(signup_id=signup.pk))


def page_signup_send(*, signup_id: int) -> None:
    """Make the link's token, keep only its hash, and e-mail it."""
    signup = (
        PageSignup.objects.select_related("session_type__professional__user")
        .filter(pk=signup_id, confirmed_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if signup is None:
        return
    raw, hashed = token_make()
    PageSignup.objects.filter(pk=signup.pk).update(token_hash=hashed)
    subject, text, html = email_render(
        template="booking-page-confirm",
        context={
            "name": signup.name,
            "professional_name": signup.session_type.professional.user.name,
            "session_type": signup.session_type,
            "starts_at": signup.starts_at,
            "by_request": signup.session_type.booking_mode == SessionType.BookingMode.REQUEST,
            "confirm_url": settings.SITE_URL
            + reverse("bookings:page_confirm_email", kwargs={"token": raw}),
            "expires_at": signup.expires_at,
        },
        language=signup.language,
        time_zone=signup.time_zone,
    )
    email_deliver_now(to=signup.email, subject=subject, text=text, html=html)


class SignupProblem(Exception):
    """Why a confirmation link cannot be used (a message for the visitor)."""


class SignupPasswordWrong(Exception):
    """The password typed on the confirmation page is not the one chosen with the
    time: the link stays unused (whoever opens it must know the password, so
    nobody can make an account for someone else's address with a password of
    their own)."""


@dataclass
class SignupResult:
    user: User
    signup: PageSignup
    booking: Booking | None = None
    request: BookingRequest | None = None
    error: str = ""


def page_signup_pending(*, token: str) -> PageSignup:
    """The unused sign-up a link names, or SignupProblem saying why it cannot be used."""
    signup = (
        PageSignup.objects.select_related("session_type__professional__user")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if signup is None:
        raise SignupProblem(_("This link is not valid. Choose a time on the booking page again."))
    if signup.confirmed_at is not None:
        raise SignupProblem(_("This link has already been used. Sign in to see your sessions."))
    if signup.expires_at <= timezone.now():
        raise SignupProblem(
            _("This link has expired. Nothing was booked: choose a time on the booking page again.")
        )
    return signup


def page_signup_confirm(*, token: str, password: str) -> SignupResult:
    """The link was opened and the password chosen with the time typed again:
    the address is proven, and so is that its owner chose the password. Make the
    account (once), then book the time or ask for it. The account stays even if
    the time was taken meanwhile (the result's `error` says so)."""
    signup = page_signup_pending(token=token)
    if not check_password(password, signup.password_hash):
        raise SignupPasswordWrong
    now = timezone.now()
    try:
        user = _signup_account(signup, now)
    except IntegrityError:
        # The same address confirmed twice at once: the other click made it.
        raise SignupProblem(
            _("An account with this email already exists. Sign in, then book on the page.")
        ) from None
    return _page_signup_act(SignupResult(user=user, signup=signup))


def _signup_account(signup: PageSignup, now: datetime) -> User:
    """The account a confirmed sign-up makes, with the password hash as given."""
    with transaction.atomic():
        # Claim the row first: of two clicks at once, only one makes the account.
        if not PageSignup.objects.filter(pk=signup.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        ):
            raise SignupProblem(_("This link has already been used. Sign in to see your sessions."))
        if User.objects.filter(email=signup.email).exists():
            raise SignupProblem(
                _("An account with this email already exists. Sign in, then book on the page.")
            )
        user = User.objects.create_user(
            email=signup.email,
            password=None,
            name=signup.name,
            language=signup.language,
            time_zone=signup.time_zone,
            terms_version=signup.terms_version,
            terms_accepted_at=signup.terms_accepted_at,
        )
        user.password = signup.password_hash  # as it was hashed when given
        user.save(update_fields=["password"])
        # The hash is the account's now: the sign-up keeps none.
        PageSignup.objects.filter(pk=signup.pk).update(user=user, password_hash="")
    return user


def _page_signup_act(result: SignupResult) -> SignupResult:
    signup, user = result.signup, result.user
    session_type = signup.session_type
    try:
        if session_type.booking_mode == SessionType.BookingMode.INSTANT:
            result.booking = page_book(
                client=user, session_type=session_type, starts_at=signup.starts_at
            )
        else:
            result.request = page_request(
                client=user,
                session_type=session_type,
                starts_at=signup.starts_at,
                message=signup.message,
            )
    except BookingError as error:
        result.error = str(error)
    return result


def page_signups_sweep() -> int:
    """Forget sign-ups whose link expired unused, with the password hash each
    kept (the `periodic` command). Returns how many."""
    deleted, _kinds = PageSignup.objects.filter(
        expires_at__lte=timezone.now(), confirmed_at__isnull=True
    ).delete()
    return deleted
