"""The part of "Download my data" that comes from the wellbeing index (issue 30):
a hub member's WHO-5 answers and session ratings, and whom they share their
index with. A professional's archive has none of the ratings of their
sessions: they see only an average, never who gave what."""

from collections.abc import Iterator

from tengja.accounts.models import User
from tengja.wellbeing.instruments import BAND_NAMES
from tengja.wellbeing.models import Checkin, Rating, Share

CHUNK = 500


def wellbeing_of(user: User) -> Iterator[dict]:
    checkins = (
        Checkin.objects.filter(respondent__user=user)
        .select_related("respondent__hub")
        .order_by("answered_at", "pk")
    )
    for checkin in checkins.iterator(CHUNK):
        yield {
            "kind": "WHO-5",
            "hub": checkin.respondent.hub.name,
            "answered_at": checkin.answered_at,
            "answers": checkin.answers,
            "raw_score": checkin.raw,
            "percentage": checkin.percentage,
            "band": str(BAND_NAMES[checkin.band]),
        }
    ratings = (
        Rating.objects.filter(respondent__user=user)
        .select_related("respondent__hub", "professional__user", "booking")
        .order_by("rated_at", "pk")
    )
    for rating in ratings.iterator(CHUNK):
        yield {
            "kind": "session rating",
            "hub": rating.respondent.hub.name,
            "professional": rating.professional.user.name,
            "session": rating.booking.code if rating.booking else None,
            "rated_at": rating.rated_at,
            "answers": rating.answers,
            "score": str(rating.score) if rating.score is not None else None,
            "put_aside": rating.score is None,
        }


def wellbeing_shares_of(user: User) -> Iterator[dict]:
    rows = (
        Share.objects.filter(user=user)
        .select_related("professional__user")
        .order_by("created_at", "pk")
    )
    for share in rows.iterator(CHUNK):
        yield {"professional": share.professional.user.name, "shared_at": share.created_at}
