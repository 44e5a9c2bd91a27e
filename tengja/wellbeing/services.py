"""The writes of the wellbeing app: a member's WHO-5 answer, a session rating,
sharing the index with a professional, and what an account deletion leaves."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.selectors import has_sessions
from tengja.hubs.models import Hub, Membership
from tengja.professionals.models import Professional
from tengja.wellbeing.instruments import AnswerError, alliance_clean, who5_clean
from tengja.wellbeing.models import Checkin, Rating, Respondent, Share
from tengja.wellbeing.selectors import who5_due_at


class WellbeingError(Exception):
    """Refused: nothing was changed."""


def respondent_for(*, hub: Hub, user: User) -> Respondent:
    return Respondent.objects.get_or_create(hub=hub, user=user)[0]


def who5_answer(
    *, membership: Membership, data: dict[str, object], now: datetime | None = None
) -> Checkin:
    """Keep the member's WHO-5 answers as given, with the raw score. Refused
    (WellbeingError, nothing kept) when an answer is missing or out of range, or
    when the hub does not ask for one now (off, or answered within its interval)."""
    now = now or timezone.now()
    try:
        answers = who5_clean(data)
    except AnswerError as error:
        raise WellbeingError(str(error)) from None
    with transaction.atomic():
        respondent = respondent_for(hub=membership.hub, user=membership.user)
        # One answer at a time: two tabs cannot both answer.
        respondent = Respondent.objects.select_for_update().get(pk=respondent.pk)
        due = who5_due_at(hub=membership.hub, respondent=respondent)
        if due is None or due > now:
            raise WellbeingError(_("The Wellbeing Index is not waiting for an answer now."))
        return Checkin.objects.create(
            respondent=respondent, answers=answers, raw=sum(answers.values()), answered_at=now
        )


def rating_save(
    *,
    booking: Booking,
    hub: Hub,
    user: User,
    data: dict[str, object] | None,
    now: datetime | None = None,
) -> Rating:
    """Rate a hub session once (data None: the member puts it aside, which also
    counts as their once). The caller has checked that the booking is the
    user's ended hub session (selectors.booking_to_rate)."""
    now = now or timezone.now()
    answers: dict[str, int] = {}
    score = None
    if data is not None:
        try:
            answers = alliance_clean(data)
        except AnswerError as error:
            raise WellbeingError(str(error)) from None
        mean = Decimal(sum(answers.values())) / len(answers)
        score = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    with transaction.atomic():
        respondent = respondent_for(hub=hub, user=user)
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if Rating.objects.filter(booking=locked).exists():
            raise WellbeingError(_("You have already rated this session."))
        return Rating.objects.create(
            respondent=respondent,
            booking=locked,
            professional_id=locked.professional_id,
            answers=answers,
            score=score,
            rated_at=now,
        )


def share_set(*, user: User, professional: Professional, shared: bool) -> None:
    """Share (or stop sharing) the member's own wellbeing index with a
    professional they have had sessions with. Stopping is never refused: not
    for want of sessions, nor of an active membership."""
    if not shared:
        Share.objects.filter(user=user, professional=professional).delete()
        return
    if not has_sessions(professional=professional, client=user):
        raise WellbeingError(_("You can only share with a professional you have sessions with."))
    Share.objects.get_or_create(user=user, professional=professional)


def wellbeing_erase(*, user: User) -> None:
    """An account is deleted: the answers and ratings stay, with no link to the
    person (the respondent's random key keeps one person's answers together for
    the trend), so no figure HR or a professional has seen for an ended month
    moves; the shares go (SECURITY.md)."""
    Respondent.objects.filter(user=user).update(user=None)
    Share.objects.filter(user=user).delete()
    Rating.objects.filter(respondent__user__isnull=True, booking__client=user).update(booking=None)
