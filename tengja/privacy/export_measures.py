"""The part of "Download my data" that comes from outcome measures (issue 30):
the questionnaires a client was sent and their answers; for a professional,
those they sent and the answers given to them (their clinical record)."""

from collections.abc import Iterator

from django.db.models import Prefetch, Q

from tengja.accounts.models import User
from tengja.measures.models import MeasureRequest, MeasureResponse, Share

CHUNK = 500


def measures_of(user: User) -> Iterator[dict]:
    rows = (
        MeasureRequest.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .prefetch_related(
            Prefetch("responses", queryset=MeasureResponse.objects.select_related("booking"))
        )
        .order_by("created_at", "pk")
    )
    for request in rows.iterator(CHUNK):
        to_you = request.professional.user_id == user.pk
        yield {
            "role": "professional" if to_you else "client",
            "with": request.client.name if to_you else request.professional.user.name,
            "questionnaire": request.get_instrument_display(),
            "how_often": request.mode,
            "still_asked": request.active,
            "sent_at": request.created_at,
            "answers": [
                {
                    "answered_at": response.answered_at,
                    "session": response.booking.code if response.booking else None,
                    "answers": response.answers,
                    "total": response.total,
                    "band": response.band,
                    "item_9_above_0": response.item9,
                    # The professional's own record of having seen the flag.
                    **({"flag_seen_at": response.flag_seen_at} if to_you else {}),
                }
                for response in request.responses.all()
            ],
        }


def measure_shares_of(user: User) -> Iterator[dict]:
    rows = (
        Share.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .order_by("created_at", "pk")
    )
    for share in rows.iterator(CHUNK):
        to_you = share.professional.user_id == user.pk
        yield {
            "role": "professional" if to_you else "client",
            "with": share.client.name if to_you else share.professional.user.name,
            "shared_at": share.created_at,
        }
