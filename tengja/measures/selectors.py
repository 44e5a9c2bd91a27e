"""Who may see which measures, and what is waiting for a client.

Every read here names the person asking: a client sees their own; a
professional sees the answers to what they sent and, when the client shares
with them, the client's scores. Nobody else (not HR, not another professional)
is ever given a row: the views turn "not yours" into 404."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone, translation

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.bookings.selectors import sessions_together
from tengja.measures.instruments import INSTRUMENTS
from tengja.measures.models import MeasureRequest, MeasureResponse, Share
from tengja.professionals.models import Professional

# A request before every session asks for its answer in the days before each.
DUE_DAYS = 3
# The scores a chart and its table show: the latest, per questionnaire.
CHART_POINTS = 24


@dataclass(slots=True)
class Waiting:
    request: MeasureRequest
    booking: Booking | None


def _due(requests: list[MeasureRequest], now: datetime) -> list[Waiting]:
    """What the requests ask for now: a request once, until answered; a request
    before every session, one answer for each confirmed session with its
    professional starting in the next DUE_DAYS days. Two queries at most."""
    waiting = [Waiting(r, None) for r in requests if r.mode == MeasureRequest.Mode.ONCE]
    every = [r for r in requests if r.mode == MeasureRequest.Mode.EVERY_SESSION]
    if not every:
        return waiting
    pairs = {(r.professional_id, r.client_id) for r in every}
    bookings = list(
        Booking.objects.filter(
            professional_id__in={p for p, _ in pairs},
            client_id__in={c for _, c in pairs},
            status=Booking.Status.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(days=DUE_DAYS),
        )
        .filter(sessions_together())
        .order_by("starts_at")
    )
    answered = set(
        MeasureResponse.objects.filter(request__in=every, booking__in=bookings).values_list(
            "request_id", "booking_id"
        )
    )
    for request in every:
        for booking in bookings:
            same = (booking.professional_id, booking.client_id) == (
                request.professional_id,
                request.client_id,
            )
            if same and (request.pk, booking.pk) not in answered:
                waiting.append(Waiting(request, booking))
                break  # the next session first; the one after asks later
    return waiting


def waiting_for_client(*, client: User, now: datetime | None = None) -> list[Waiting]:
    """Every questionnaire the client may answer now (three queries at most,
    whatever they hold)."""
    return home_for_client(client=client, now=now)[0]


def home_for_client(*, client: User, now: datetime | None = None) -> tuple[list[Waiting], bool]:
    """What is waiting for the client, and whether they were ever sent one: one
    query, and two more only while a request before every session is open.

    A client has at most one open request per questionnaire and professional
    (measure_send replaces the last), so the open ones come first and are few."""
    rows = list(
        MeasureRequest.objects.filter(client=client)
        .select_related("professional__user")
        .order_by("-active", "created_at", "pk")[:100]
    )
    requests = [r for r in rows if r.active]
    return _due(requests, now or timezone.now()), bool(rows)


def request_for_client(*, client: User, code: str) -> MeasureRequest:
    """One of the client's own requests; 404 for anyone else's."""
    try:
        return MeasureRequest.objects.select_related("professional__user").get(
            code=code, client=client
        )
    except MeasureRequest.DoesNotExist:
        raise Http404 from None


def due_for(*, request: MeasureRequest, now: datetime | None = None) -> Waiting | None:
    """What this request asks for now, or None."""
    if not request.active:
        return None
    found = _due([request], now or timezone.now())
    return found[0] if found else None


def flagged_for_professional(*, professional: Professional, code: str) -> MeasureResponse:
    """An answer to one of the professional's own questionnaires; 404 for any
    other answer (a professional the client shares scores with included)."""
    try:
        return MeasureResponse.objects.select_related("request__client").get(
            code=code, request__professional=professional
        )
    except MeasureResponse.DoesNotExist:
        raise Http404 from None


def response_for_user(*, user: User, code: str) -> MeasureResponse:
    """An answer, for its client and the professional who sent the questionnaire;
    404 for everyone else (a professional the client shares scores with sees the
    scores on the client's page, not the answers)."""
    try:
        response = MeasureResponse.objects.select_related(
            "request__professional__user", "request__client", "booking"
        ).get(code=code)
    except MeasureResponse.DoesNotExist:
        raise Http404 from None
    mine = response.request.client_id == user.pk
    sent = response.request.professional.user_id == user.pk
    if not (mine or sent):
        raise Http404
    return response


@dataclass(slots=True)
class Series:
    """One questionnaire's scores for a chart and its table, oldest first."""

    name: str
    max_total: int
    points: list[MeasureResponse]
    # The SVG's drawing (user units).
    width: int = 320
    height: int = 120
    bands: list[tuple[int, str]] | None = None

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.coordinates)

    @property
    def coordinates(self) -> list[tuple[int, int]]:
        n = len(self.points)
        step = (self.width - 20) / max(n - 1, 1)
        return [
            (
                round(10 + i * step),
                round(self.height - 10 - (self.height - 20) * p.total / self.max_total),
            )
            for i, p in enumerate(self.points)
        ]

    @property
    def dots(self) -> list[dict]:
        return [{"x": x, "y": y} for x, y in self.coordinates]

    @property
    def lines(self) -> list[dict]:
        """The bands' lower edges, as lines across the drawing."""
        return [
            {"y": round(self.height - 10 - (self.height - 20) * lowest / self.max_total)}
            for lowest, _ in (self.bands or [])
            if lowest
        ]


def _series(responses: dict[str, list[MeasureResponse]]) -> list[Series]:
    found = []
    for key, instrument in INSTRUMENTS.items():
        points = responses.get(key, [])
        if points:
            found.append(
                Series(
                    name=instrument.name,
                    max_total=instrument.max_total,
                    points=points[::-1],
                    bands=list(instrument.bands),
                )
            )
    return found


def _latest(responses) -> dict[str, list[MeasureResponse]]:
    """The latest CHART_POINTS of each questionnaire: one query each."""
    return {
        key: list(
            responses.filter(request__instrument=key)
            .select_related("request__professional__user")
            .order_by("-answered_at", "-pk")[:CHART_POINTS]
        )
        for key in INSTRUMENTS
    }


def client_series(*, client: User) -> list[Series]:
    """The client's own scores over time, whoever asked."""
    return _series(_latest(MeasureResponse.objects.filter(request__client=client)))


def professional_series(*, professional: Professional, client: User) -> list[Series]:
    """A client's scores as one professional may see them: the answers to what
    they sent, and all the client's scores if the client shares with them (one
    query per questionnaire)."""
    shared = Share.objects.filter(client=OuterRef("request__client"), professional=professional)
    responses = MeasureResponse.objects.filter(request__client=client).filter(
        Q(request__professional=professional) | Q(Exists(shared))
    )
    return _series(_latest(responses))


def flags_in(series: list[Series], *, professional: Professional) -> list[MeasureResponse]:
    """The answers on the charts to the professional's own PHQ-9s with item 9 above
    0 that they have not marked seen, newest first (no query)."""
    found = [
        point
        for s in series
        for point in s.points
        if point.flag_open and point.request.professional_id == professional.pk
    ]
    return sorted(found, key=lambda p: p.answered_at, reverse=True)


def requests_of_client(*, professional: Professional, client: User) -> list[MeasureRequest]:
    """What the professional has asked of this client and still asks."""
    return list(
        MeasureRequest.objects.filter(
            professional=professional, client=client, active=True
        ).order_by("created_at", "pk")
    )


def flagged(*, professional: Professional) -> list[MeasureResponse]:
    """Answers to the professional's PHQ-9s with item 9 (thoughts of self-harm)
    above 0 that they have not marked seen, newest first (one query, at most 20).
    A flag stays until seen, however old: it is never left to lapse unread."""
    found = MeasureResponse.objects.filter(
        request__professional=professional, item9=True, flag_seen_at__isnull=True
    )
    return list(found.select_related("request__client").order_by("-answered_at", "-pk")[:20])


def shares_of_client(*, client: User) -> list[tuple[Professional, bool]]:
    """The professionals the client has sessions with, and whether the client
    shares their scores with each (two queries)."""
    ids = (
        Booking.objects.filter(client=client).filter(sessions_together()).values("professional_id")
    )
    professionals = list(
        Professional.objects.filter(pk__in=ids).select_related("user").order_by("user__name", "pk")
    )
    shared = set(Share.objects.filter(client=client).values_list("professional_id", flat=True))
    return [(p, p.pk in shared) for p in professionals]


def crisis_contacts() -> list[dict[str, str]]:
    """The site's crisis contacts (settings.CRISIS_CONTACTS), in the active language."""
    language = translation.get_language() or settings.LANGUAGE_CODE

    def text(value) -> str:
        if isinstance(value, dict):
            return str(value.get(language) or value.get("en") or next(iter(value.values()), ""))
        return str(value)

    return [
        {"name": text(c["name"]), "phone": str(c["phone"]), "description": text(c["description"])}
        for c in settings.CRISIS_CONTACTS
    ]
