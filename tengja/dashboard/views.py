from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from tengja.bookings.selectors import (
    bookings_between_for_professional,
    bookings_between_for_user,
    bookings_past_for_user,
    bookings_upcoming_for_user,
    bookings_with_professional_for_client,
    connections_for_client,
    shown_until,
)
from tengja.dashboard.calendar import local_midnight, month_weeks, place, week_days
from tengja.dashboard.context_processors import header_of
from tengja.dashboard.selectors import (
    client_open_bills,
    client_sessions_past,
    client_sessions_upcoming,
    practice_invited,
)
from tengja.dashboard.selectors import practice_client as practice_client_of
from tengja.dashboard.selectors import practice_clients as practice_clients_of
from tengja.hubs.forms import HubFindForm
from tengja.hubs.selectors import (
    hubs_administered_by,
    hubs_of,
    offers_of_professional,
    offers_waiting_count,
)
from tengja.lib import versions
from tengja.lib.windows import window
from tengja.professionals.selectors import (
    professional_for_user,
    professional_of_request,
    professional_public,
)

HISTORY_PAGE_SIZE = 10
HOME_UPCOMING = 10


def home(request: HttpRequest) -> HttpResponse:
    """Home when signed in (a client's, with the practice on top for a
    professional); a short welcome for visitors."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/welcome.html", {"form": HubFindForm()})
    user = request.user
    page = request.GET.get("page") or "1"
    professional_id = header_of(request)["professional_id"]
    is_professional = professional_id is not None
    sessions_parts = ("home-sessions", user.pk, page, is_professional)
    sessions_depend_on = [versions.bookings_of_user(user.pk)]
    # The sessions are read with the cards: one round trip for both.
    versions.read_ahead(lambda: [versions.fragment_key(*sessions_parts)], names=sessions_depend_on)
    cards = versions.fragment(
        "home-cards",
        user.pk,
        professional_id,
        depends_on=[
            versions.account_of(user.pk),
            *([versions.schedule_of(professional_id)] if professional_id else []),
        ],
        render=lambda: _home_cards(request, professional_id),
    )
    sessions = versions.fragment(
        *sessions_parts,
        depends_on=sessions_depend_on,
        render=lambda: _home_sessions(request, page, is_professional),
    )
    return render(request, "dashboard/home.html", {"cards": cards, "sessions": sessions})


def _home_cards(request: HttpRequest, professional_id: int | None):
    """Home's cards: the practice (with its set-up checklist and the hubs waiting
    for an answer), the hubs the person runs as HR, and their hub memberships with
    the credits left. Until the first credit period ends, when its credits go."""
    user = request.user
    memberships = hubs_of(user=user)
    html = render_to_string(
        "dashboard/home_cards.html",
        {
            "professional": professional_id and professional_of_request(request),
            "hub_offers_waiting": professional_id and offers_waiting_count(user=user),
            "administered": hubs_administered_by(user=user),
            "memberships": memberships,
        },
        request=request,
    )
    ends = [m.period_ends for m in memberships if m.is_active and m.period_ends]
    return html, min(ends, default=None)


def _home_sessions(request: HttpRequest, page: str, is_professional: bool):
    """Home's upcoming sessions, connections and past sessions, and until when they
    hold without a change of data: the next moment a Join button opens or closes,
    or a session ends and moves to the past."""
    user = request.user
    # One more than shown: its end is also a moment the lists change.
    upcoming = list(bookings_upcoming_for_user(user=user, limit=HOME_UPCOMING + 1))
    history = window(bookings_past_for_user(user=user), page=page, size=HISTORY_PAGE_SIZE)
    html = render_to_string(
        "dashboard/home_sessions.html",
        {
            "upcoming": upcoming[:HOME_UPCOMING],
            "history": history,
            # A professional's clients are on the practice page; their Home lists
            # the professionals they themselves see, if any.
            "connections": list(connections_for_client(user=user)[:6]),
            "is_professional": is_professional,
        },
        request=request,
    )
    return html, shown_until(upcoming)


def _param_date(value: str | None) -> date | None:
    """An ISO date ("2026-11-23") or month ("2026-11") from the query string, else None."""
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2200 else None


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """A month grid, and on small screens the week list (CSS picks which shows).

    ?month=2026-11 picks the month; ?week=2026-11-23 the week (Monday first);
    ?day=2026-11-25 lists that day's sessions, all of them (the grid and the
    week show a few a day, and link a day that has more here), with its week
    and month. Rendered once per change of the person's sessions (see
    tengja.lib.versions) and kept, for the language, zone and day they show.
    """
    today = timezone.localdate()
    month = _param_date(request.GET.get("month"))
    day = _param_date(request.GET.get("day"))
    week_anchor = _param_date(request.GET.get("week")) or day or month or today
    month_start = (month or week_anchor).replace(day=1)
    week_start = week_anchor - timedelta(days=week_anchor.weekday())
    body = versions.fragment(
        "calendar",
        request.user.pk,
        month_start,
        week_start,
        day,
        today,
        depends_on=[versions.bookings_of_user(request.user.pk)],
        render=lambda: _calendar_body(request, today, month_start, week_start, day),
    )
    return render(request, "dashboard/calendar.html", {"body": body})


# How many sessions a day of the calendar's month and week shows; a day with more
# links to its own list.
CALENDAR_PER_DAY = 3


def _calendar_body(
    request, today: date, month_start: date, week_start: date, day: date | None = None
) -> str:
    weeks = month_weeks(month_start.year, month_start.month, today)
    week = week_days(week_start, today)
    grid_days = [d for w in weeks for d in w]
    start = min(grid_days[0].date, week[0].date)
    end = max(grid_days[-1].date, week[-1].date) + timedelta(days=1)
    bookings = bookings_between_for_user(
        user=request.user,
        start=local_midnight(start),
        end=local_midnight(end),
        per_day=CALENDAR_PER_DAY,
    )
    place(bookings, grid_days)
    place(bookings, week)
    one_day = None
    if day is not None:
        [one_day] = week_days(day, today)[:1]
        place(
            bookings_between_for_user(
                user=request.user,
                start=local_midnight(day),
                end=local_midnight(day + timedelta(days=1)),
            ),
            [one_day],
        )
    return render_to_string(
        "dashboard/calendar_body.html",
        {
            "month_start": month_start,
            "weeks": weeks,
            "week": week,
            "day": one_day,
            "previous_month": (month_start - timedelta(days=1)).replace(day=1),
            "next_month": (month_start + timedelta(days=32)).replace(day=1),
            "previous_week": week_start - timedelta(days=7),
            "next_week": week_start + timedelta(days=7),
            "weekday_names": [d.date for d in weeks[0]],
        },
    )


@login_required
def connections(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/connections.html",
        {"connections": connections_for_client(user=request.user)},
    )


@login_required
def connection(request: HttpRequest, code: str) -> HttpResponse:
    """A professional the client has worked with: their profile and the shared sessions."""
    professional = professional_public(code=code)
    sessions = window(
        bookings_with_professional_for_client(user=request.user, professional=professional),
        page=request.GET.get("page"),
        size=HISTORY_PAGE_SIZE,
    )
    return render(
        request,
        "dashboard/connection.html",
        {"professional": professional, "sessions": sessions},
    )


# ------------------------------------------------------------------ the professional's


@login_required
def practice_week(request: HttpRequest) -> HttpResponse:
    """The professional's week, every session (cancelled ones too), in their zone:
    seven columns on a wide screen, one day at a time on a phone (CSS picks).

    ?week=2026-11-23 picks a week; ?day=2026-11-25 a day (and so its week).
    """
    professional = professional_for_user(user=request.user)
    today = timezone.localdate()
    day = _param_date(request.GET.get("day"))
    anchor = day or _param_date(request.GET.get("week")) or today
    week_start = anchor - timedelta(days=anchor.weekday())
    week_end = week_start + timedelta(days=6)
    if day is None:
        day = today if week_start <= today <= week_end else week_start
    body = versions.fragment(
        "practice-week",
        request.user.pk,
        week_start,
        day,
        today,
        depends_on=[versions.bookings_of_user(request.user.pk)],
        render=lambda: _practice_week_body(professional, today, week_start, day),
    )
    return render(
        request,
        "dashboard/practice_week.html",
        {"professional": professional, "body": body},
    )


def _practice_week_body(professional, today: date, week_start: date, day: date) -> str:
    week = week_days(week_start, today)
    bookings = bookings_between_for_professional(
        professional=professional,
        start=local_midnight(week_start),
        end=local_midnight(week_start + timedelta(days=7)),
    )
    place(bookings, week)
    return render_to_string(
        "dashboard/practice_week_body.html",
        {
            "week": week,
            "day": next(d for d in week if d.date == day),
            "previous_week": week_start - timedelta(days=7),
            "next_week": week_start + timedelta(days=7),
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "is_this_week": week[0].date <= today <= week[-1].date,
        },
    )


@login_required
def practice_clients(request: HttpRequest) -> HttpResponse:
    """Rendered once per change of the professional's sessions or bills, and again
    when one of their sessions ends (it moves from "To come" to "Past")."""
    professional = professional_for_user(user=request.user)
    user = request.user
    page = request.GET.get("page") or "1"
    body = versions.fragment(
        "practice-clients",
        user.pk,
        page,
        depends_on=[versions.bookings_of_user(user.pk), versions.payments_of_user(user.pk)],
        render=lambda: _practice_clients_body(request, professional, page),
    )
    return render(
        request,
        "dashboard/practice_clients.html",
        {"professional": professional, "body": body},
    )


def _practice_clients_body(request: HttpRequest, professional, page: str):
    clients = window(practice_clients_of(professional=professional), page=page, size=50)
    invited = practice_invited(professional=professional)
    html = render_to_string(
        "dashboard/practice_clients_body.html",
        {"clients": clients, "invited": invited},
        request=request,
    )
    # Until a session shown ends: its client's counts change, or it leaves the invited.
    ends = [person.next_end for person in clients if person.next_end]
    return html, min([*ends, *(booking.ends_at for booking in invited)], default=None)


@login_required
def practice_hubs(request: HttpRequest) -> HttpResponse:
    """The Wellbeing Hubs that asked to offer the professional, and those they are in."""
    professional = professional_for_user(user=request.user)
    return render(
        request,
        "dashboard/practice_hubs.html",
        {
            "professional": professional,
            "offers": offers_of_professional(professional=professional),
            "session_types": professional.session_types.filter(is_active=True),
        },
    )


@login_required
def practice_client(request: HttpRequest, code: str) -> HttpResponse:
    """One of the professional's own clients: sessions to come, past ones, open bills."""
    professional = professional_for_user(user=request.user)
    client = practice_client_of(professional=professional, code=code)
    past = window(
        client_sessions_past(professional=professional, client=client),
        page=request.GET.get("page"),
        size=HISTORY_PAGE_SIZE,
    )
    return render(
        request,
        "dashboard/practice_client.html",
        {
            "professional": professional,
            "client": client,
            "upcoming": client_sessions_upcoming(professional=professional, client=client),
            "past": past,
            "bills": client_open_bills(professional=professional, client=client),
        },
    )
