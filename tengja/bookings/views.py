import copy
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tengja.accounts.backends import USER_BACKEND
from tengja.accounts.forms import signup_time_zone
from tengja.accounts.models import User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings import services
from tengja.bookings.chart import practice_months
from tengja.bookings.forms import (
    CancelForm,
    InvitationSignUpForm,
    InviteForm,
    MoveForm,
    SeriesMoveForm,
)
from tengja.bookings.gates import join_blocker_set
from tengja.bookings.models import BOOKING_HORIZON, SERIES_MAX, Booking
from tengja.bookings.request_selectors import requests_open_count
from tengja.bookings.selectors import (
    booking_for_user,
    bookings_upcoming_for_professional,
    series_of,
)
from tengja.bookings.slots import free_slots_to_move_to, free_to_move_to
from tengja.lib.http import render_form
from tengja.lib.limits import signup_allowed
from tengja.lib.money import money_format
from tengja.professionals.selectors import professional_for_user

# The client's move page shows a week of free times at a time.
MOVE_DAYS = 7


@login_required
def detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """A session's page, for its client or its professional; the client's first
    look accepts the professional's invitation."""
    booking = booking_for_user(user=request.user, code=code)
    role = booking.role_of(request.user)
    if role == Booking.Role.CLIENT:
        services.invitation_seen(booking=booking)
    join_blocker_set([booking])
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "role": role,
            "phase": booking.phase(),
            "state": booking.state(),
            "is_professional": role == Booking.Role.PROFESSIONAL,
            # The professional may still record a no-show or a mistake after the end.
            "can_cancel": bool(booking.cancel_reasons())
            if role == Booking.Role.PROFESSIONAL
            else booking.cancel_refusal(role) is None,
            "move_refusal": booking.move_refusal(role),
            "series": series_of(booking=booking),
        },
    )


@login_required
def cancel(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """GET asks for confirmation (warning about a late cancellation); POST cancels.
    The professional says why, with a private note, whether the client is told
    and, for a late cancellation or a no-show, whether to charge for it."""
    booking = booking_for_user(user=request.user, code=code)
    if booking.role_of(request.user) == Booking.Role.PROFESSIONAL:
        return _cancel_by_professional(request, booking)
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking, by=request.user)
        except services.BookingError as error:
            messages.error(request, str(error))
        else:
            # Read again: the bill (or credit) has been settled with the cancellation.
            cancelled = booking_for_user(user=request.user, code=code)
            messages.success(request, _cancelled_message(cancelled, False))
        return redirect("bookings:detail", code=booking.code)
    refusal = booking.cancel_refusal(Booking.Role.CLIENT)
    if refusal:
        # Started, over or cancelled: the session page says so, not a confirmation.
        messages.error(request, str(refusal))
        return redirect("bookings:detail", code=booking.code)
    return render(
        request,
        "bookings/cancel.html",
        {"booking": booking, "is_professional": False, "late": booking.is_late_for_client()},
    )


def _cancel_by_professional(request: AuthenticatedRequest, booking: Booking) -> HttpResponse:
    now = timezone.now()
    Reason = Booking.CancelReason
    form = CancelForm(request.POST or None, booking=booking, now=now)
    if not booking.cancel_reasons(now):
        # Already cancelled, or marked done (a mistake may be recorded whenever
        # anything may, so its refusal says why nothing may).
        refusal = booking.cancel_refusal(Booking.Role.PROFESSIONAL, now, Reason.MISTAKE)
        messages.error(request, str(refusal))
        return redirect("bookings:detail", code=booking.code)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.booking_cancel(
                booking=booking,
                by=request.user,
                reason=data["reason"],
                note=data["note"],
                charge=data.get("charge", False),
                tell=data["tell"],
            )
        except services.BookingError as error:
            form.add_error(None, str(error))
        else:
            cancelled = booking_for_user(user=request.user, code=booking.code)
            messages.success(request, _cancelled_message(cancelled, True))
            return redirect("bookings:detail", code=booking.code)
    return render_form(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "is_professional": True,
            "form": form,
            "started": booking.starts_at <= now,
            "late": booking.is_late_for_client(now),
        },
        form,
    )


def _cancelled_message(booking: Booking, is_professional: bool) -> str:
    """What the cancellation did, as its e-mail says it: a credit spent or given
    back, a payment refunded or kept, a bill still to pay."""
    if is_professional:
        return _professional_cancelled_message(booking)
    if booking.paid_with_credits:
        credits = booking.credits or 1
        if booking.late_cancellation:
            return ngettext(
                "The session is cancelled. As it was within the notice period, its %(credits)s "
                "credit is spent.",
                "The session is cancelled. As it was within the notice period, its %(credits)s "
                "credits are spent.",
                credits,
            ) % {"credits": credits}
        return _("The session is cancelled.")
    if not booking.price_amount:
        return _("The session is cancelled.")
    amount = money_format(booking.price_amount, booking.currency)
    bill_status = getattr(booking, "bill_status", None)  # booking_for_user annotates it
    if bill_status in ("refund_pending", "refunded") and getattr(
        booking, "bill_paid_outside", None
    ):
        return _(
            "The session is cancelled. You paid %(name)s %(amount)s directly, so they return it "
            "to you themselves."
        ) % {"name": booking.professional.user.name, "amount": amount}
    if bill_status in ("refund_pending", "refunded"):
        return _(
            "The session is cancelled. Your payment of %(amount)s is being refunded to your card."
        ) % {"amount": amount}
    if not booking.late_cancellation:
        return _("The session is cancelled.")
    if bill_status == "paid":
        return _(
            "The session is cancelled. As it was within the notice period, your payment of "
            "%(amount)s is not refunded."
        ) % {"amount": amount}
    return _("The session is cancelled. As it was within the notice period, it stays payable.")


def _professional_cancelled_message(booking: Booking) -> str:
    """What the professional's cancellation did: recorded as what, and whether the
    session stays payable (or its credit spent) and the client was told."""
    Reason = Booking.CancelReason
    if booking.cancel_reason == Reason.NO_SHOW:
        said = _("The client is recorded as not having come.")
    elif booking.cancel_reason == Reason.MISTAKE:
        said = _("The session is void: entered by mistake.")
    else:
        said = _("The session is cancelled.")
    if booking.late_cancellation:
        if booking.paid_with_credits:
            said += " " + _("The hub's credit for it is spent.")
        else:
            said += " " + _("%(amount)s stays payable.") % {
                "amount": money_format(booking.price_amount, booking.currency)
            }
    elif booking.paid_with_credits:
        said += " " + _("The credit goes back to the client.")
    if not booking.client_told:
        said += " " + _("The client has not been told.")
    return said


def _professional_booking(request: AuthenticatedRequest, code: str):
    booking = booking_for_user(user=request.user, code=code)
    if booking.role_of(request.user) != Booking.Role.PROFESSIONAL:
        raise Http404
    return booking


@login_required
def move(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional picks any new time in a form; the client one of the
    professional's free times, shown here a week at a time (?from=<date>),
    each leading to move_confirm. Refused (403) with why, and whom to ask, when the
    person may not move the session now (Booking.move_refusal)."""
    booking = booking_for_user(user=request.user, code=code)
    role = booking.role_of(request.user)
    refusal = booking.move_refusal(role)
    if refusal:
        return _move_refused(request, booking, refusal)
    if role == Booking.Role.CLIENT:
        return _move_times(request, booking)
    form = MoveForm(request.POST or None, initial={"starts_at": booking.starts_at})
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_move(
                booking=booking, by=request.user, starts_at=form.cleaned_data["starts_at"]
            )
        except services.BookingError as error:
            form.add_error("starts_at", str(error))
        else:
            messages.success(request, _("The session has been moved and the client told."))
            return redirect("bookings:detail", code=booking.code)
    return render_form(request, "bookings/move.html", {"booking": booking, "form": form}, form)


def _move_refused(request: HttpRequest, booking: Booking, refusal: str) -> HttpResponse:
    return render(
        request,
        "bookings/move_refused.html",
        {
            "booking": booking,
            "refusal": refusal,
            "is_professional": booking.role_of(request.user) == Booking.Role.PROFESSIONAL,
        },
        status=403,
    )


def _move_times(request: HttpRequest, booking: Booking) -> HttpResponse:
    today = timezone.localdate()
    # The last week shown ends a day inside the horizon, so all it offers may be chosen.
    last = today + BOOKING_HORIZON - timedelta(days=MOVE_DAYS + 1)
    start = _from_date(request.GET.get("from", ""))
    start = min(max(start or today, today), last)
    slots = free_slots_to_move_to(booking=booking, start=start, days=MOVE_DAYS)
    by_day = defaultdict(list)
    for slot in slots:
        by_day[timezone.localtime(slot.starts_at).date()].append(slot)
    later = start + timedelta(days=MOVE_DAYS)
    return render(
        request,
        "bookings/move_times.html",
        {
            "booking": booking,
            "days": sorted(by_day.items()),
            "start": start,
            "end": later - timedelta(days=1),
            "earlier": max(start - timedelta(days=MOVE_DAYS), today) if start > today else None,
            "later": later if later <= last else None,
        },
    )


def _from_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _chosen_time(value: str) -> datetime | None:
    """A free time as the move page names it (ISO, with its offset), in the
    future and within the booking horizon; else None."""
    try:
        starts_at = datetime.fromisoformat(value[:40])
        if starts_at.tzinfo is None or not (
            timezone.now() < starts_at <= timezone.now() + BOOKING_HORIZON
        ):
            return None
    except (ValueError, OverflowError):
        return None
    return starts_at


@login_required
def move_confirm(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The client's review of a new time: the old and the new, and what follows.
    GET only shows (and changes nothing); the button (POST) moves the session."""
    booking = booking_for_user(user=request.user, code=code)
    role = booking.role_of(request.user)
    if role != Booking.Role.CLIENT:
        raise Http404  # the professional moves with their own form
    refusal = booking.move_refusal(role)
    if refusal:
        return _move_refused(request, booking, refusal)
    starts_at = _chosen_time(request.POST.get("starts_at") or request.GET.get("starts_at", ""))
    if starts_at is None:
        messages.error(request, _("Choose one of the free times."))
        return redirect("bookings:move", code=booking.code)
    if request.method == "POST":
        try:
            booking = services.booking_move(booking=booking, by=request.user, starts_at=starts_at)
        except services.BookingError as error:
            messages.error(request, str(error))
            return redirect("bookings:move", code=booking.code)
        messages.success(
            request,
            _("Your session has been moved. We have told %(name)s.")
            % {"name": booking.professional.user.name},
        )
        return redirect("bookings:detail", code=booking.code)
    if not free_to_move_to(booking=booking, starts_at=starts_at):
        # A stale link (the time taken since): said now, not after pressing the button.
        messages.error(request, _("That time is not free. Choose one of the free times."))
        return redirect("bookings:move", code=booking.code)
    moved = copy.copy(booking)
    moved.starts_at, moved.ends_at = starts_at, starts_at + (booking.ends_at - booking.starts_at)
    return render(
        request,
        "bookings/move_confirm.html",
        # Within the notice period, the new time could not be moved again here.
        {"booking": booking, "moved": moved, "late": moved.is_late_for_client()},
    )


@login_required
@require_POST
def resend(request: AuthenticatedRequest, code: str) -> HttpResponse:
    booking = _professional_booking(request, code)
    try:
        services.invitation_resend(booking=booking)
    except services.BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new link has been sent; the old one no longer works."))
    return redirect("bookings:detail", code=booking.code)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a booking confirmation e-mail (see services.booking_invite)."""
    try:
        invite = services.invitation_for_token(token=token)
        if request.user.is_authenticated:
            booking = services.invitation_accept_existing(token=token, user=request.user)
            return redirect("bookings:detail", code=booking.code)
        has_account = (
            invite.accepted_at is not None
            or invite.booking.client_id is not None
            or User.objects.filter(email=invite.email).exists()
        )
        if has_account:
            return _to_sign_in(request, invite)
        form = InvitationSignUpForm(
            request.POST or None, email=invite.email, **signup_time_zone(request)
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and signup_allowed(request=request, form=form)
        ):
            user = services.invitation_accept_new_client(
                token=token,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                language=request.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
            )
            login(request, user, backend=USER_BACKEND)
            messages.success(request, _("Welcome to Tengja, %(name)s.") % {"name": user.name})
            return redirect("bookings:detail", code=invite.booking.code)
    except services.InvitationProblem as problem:
        return render(
            request,
            "bookings/invitation_problem.html",
            {"problem": problem, "invitation": problem.invitation},
            status=400,
        )
    return render_form(
        request, "bookings/invitation_signup.html", {"form": form, "invitation": invite}, form
    )


def _to_sign_in(request: HttpRequest, invite) -> HttpResponse:
    target = reverse("bookings:detail", kwargs={"code": invite.booking.code})
    return redirect(f"{reverse('accounts:login')}?next={target}")


PRACTICE_NEXT = 10


@login_required
def practice(request: AuthenticatedRequest) -> HttpResponse:
    """The professional's own page: the next sessions (the week view has them all),
    the last twelve months in a chart, session types, hours and profile, and the
    invitation button."""
    professional = professional_for_user(user=request.user)
    return render(
        request,
        "bookings/practice.html",
        {
            "professional": professional,
            "months": practice_months(professional=professional),
            "upcoming": bookings_upcoming_for_professional(
                professional=professional, limit=PRACTICE_NEXT
            ),
            "session_types": professional.session_types.all(),
            "open_requests": requests_open_count(professional=professional),
        },
    )


@login_required
def invite(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    # ?email= comes from a client's page ("Invite to another session").
    form = InviteForm(
        request.POST or None,
        professional=professional,
        initial={"email": request.GET.get("email", "")[:254]},
    )
    preview = None
    if request.method == "POST" and form.is_valid() and form.cleaned_data["repeat"]:
        preview = _series_preview(request, form, professional)
        if isinstance(preview, HttpResponse):
            return preview
    elif request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_invite(
                professional=professional,
                session_type=form.cleaned_data["session_type"],
                starts_at=form.cleaned_data["starts_at"],
                email=form.cleaned_data["email"],
            )
        except services.BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The invitation is on its way to %(email)s.")
                % {"email": booking.invitation.email},
            )
            return redirect("bookings:detail", code=booking.code)
    has_types = professional.session_types.filter(is_active=True).exists()
    return render_form(
        request,
        "bookings/invite.html",
        {
            "form": form,
            "has_types": has_types,
            "paused": not professional.is_active,
            "preview": preview,
        },
        form,
    )


def _series_preview(request: AuthenticatedRequest, form: InviteForm, professional):
    """A repeating invitation: first every date is shown, those overlapping the
    professional's other sessions marked (and refused); the button under the
    dates (`confirm`, with the dates it showed) sends it. Returns the preview to
    show, or the response once sent."""
    data = form.cleaned_data
    starts = services.series_starts(
        first=data["starts_at"],
        rule=data["repeat"],
        time_zone=timezone.get_current_timezone_name(),
        count=data["count"],
        until=data["until"],
    )
    if len(starts) > SERIES_MAX:
        form.add_error(
            None, _("A series has at most %(max)s sessions. Choose fewer.") % {"max": SERIES_MAX}
        )
        return None
    if len(starts) < 2:
        form.add_error(
            None,
            _(
                "A series needs at least two sessions within the next two years. "
                "Choose a later last date or more sessions."
            ),
        )
        return None
    session_type = data["session_type"]
    clashes = services.series_clashes(
        professional=professional, duration=session_type.duration, starts=starts
    )
    fingerprint = ",".join(f"{at.timestamp():.0f}" for at in starts)
    if not clashes and request.POST.get("confirm") == fingerprint:
        try:
            series = services.series_invite(
                professional=professional,
                session_type=session_type,
                starts=starts,
                rule=data["repeat"],
                time_zone=timezone.get_current_timezone_name(),
                email=data["email"],
                until=data["until"],
            )
        except services.SeriesClash as error:
            clashes = error.clashes
        except services.BookingError as error:
            form.add_error(None, str(error))
            return None
        else:
            first = series.bookings.order_by("starts_at").select_related("invitation").first()
            assert first is not None  # a series has sessions
            messages.success(
                request,
                ngettext(
                    "The invitation to %(count)s session is on its way to %(email)s.",
                    "The invitation to %(count)s sessions is on its way to %(email)s.",
                    len(starts),
                )
                % {"count": len(starts), "email": first.invitation.email},
            )
            return redirect("bookings:detail", code=first.code)
    if clashes:
        form.add_error(
            None,
            str(services.SeriesClash(clashes)),
        )
    return {
        "dates": [{"starts_at": at, "clash": at in clashes} for at in starts],
        "ends_at_offset": session_type.duration,
        "fingerprint": "" if clashes else fingerprint,
    }


@login_required
def series_cancel(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Cancel this session and the following ones of its series: GET lists what
    would be cancelled and what not (a client's within the notice period), POST
    cancels."""
    booking = booking_for_user(user=request.user, code=code)
    if booking.series_id is None:
        raise Http404
    role = booking.role_of(request.user)
    if request.method == "POST":
        try:
            cancelled, kept = services.series_cancel_following(booking=booking, by=request.user)
        except services.BookingError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _series_done_message(cancelled, kept, moved=False))
        return redirect("bookings:detail", code=booking.code)
    now = timezone.now()
    following = services.series_following(booking=booking)
    chosen = [
        one
        for one in following
        if one.cancel_refusal(role, now) is None
        and not (role == Booking.Role.CLIENT and one.is_late_for_client(now))
    ]
    return render(
        request,
        "bookings/series_change.html",
        {
            "booking": booking,
            "action": "cancel",
            "chosen": chosen,
            "kept": [one for one in following if one not in chosen],
            "is_professional": role == Booking.Role.PROFESSIONAL,
        },
    )


@login_required
def series_move(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Move this session and the following ones of its series by as much: the
    new start of this one, each later one shifted by the same change (the
    client's only outside their notice period, to free times)."""
    booking = booking_for_user(user=request.user, code=code)
    if booking.series_id is None:
        raise Http404
    role = booking.role_of(request.user)
    refusal = booking.move_refusal(role)
    if refusal:
        return _move_refused(request, booking, refusal)
    form = SeriesMoveForm(request.POST or None, initial={"starts_at": booking.starts_at})
    if request.method == "POST" and form.is_valid():
        try:
            moved, kept = services.series_move_following(
                booking=booking, by=request.user, starts_at=form.cleaned_data["starts_at"]
            )
        except services.BookingError as error:
            form.add_error("starts_at", str(error))
        else:
            messages.success(request, _series_done_message(moved, kept, moved=True))
            return redirect("bookings:detail", code=booking.code)
    now = timezone.now()
    following = services.series_following(booking=booking)
    chosen = [one for one in following if one.move_refusal(role, now) is None]
    return render_form(
        request,
        "bookings/series_change.html",
        {
            "booking": booking,
            "action": "move",
            "form": form,
            "chosen": chosen,
            "kept": [one for one in following if one not in chosen],
            "is_professional": role == Booking.Role.PROFESSIONAL,
        },
        form,
    )


def _series_done_message(changed: list[Booking], kept: list[Booking], *, moved: bool) -> str:
    if moved:
        text = ngettext(
            "%(count)s session has been moved.", "%(count)s sessions have been moved.", len(changed)
        )
    else:
        text = ngettext(
            "%(count)s session has been cancelled.",
            "%(count)s sessions have been cancelled.",
            len(changed),
        )
    text %= {"count": len(changed)}
    if kept:
        text += " " + ngettext(
            "%(count)s session within the notice period was not changed.",
            "%(count)s sessions within the notice period were not changed.",
            len(kept),
        ) % {"count": len(kept)}
    return text
