from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings.gates import join_blocker_set
from tengja.bookings.request_selectors import requests_for_client
from tengja.bookings.selectors import (
    bookings_between_for_user,
    bookings_past_for_user,
    bookings_upcoming_for_user,
    bookings_with_professional_for_client,
    connections_for_client,
    has_sessions,
)
from tengja.dashboard.activities import Activities, activities_of, activities_totals
from tengja.dashboard.calendar import local_midnight, month_weeks, place, week_days
from tengja.dashboard.exports import csv_lines, export_filename, header, xlsx_file
from tengja.dashboard.forms import ActivityFilterForm
from tengja.dashboard.selectors import (
    client_open_bills,
    client_sessions_past,
    client_sessions_upcoming,
    header_of_request,
    practice_client_choices,
    practice_for_home,
    practice_invited,
    practice_week_sessions,
)
from tengja.dashboard.selectors import practice_client as practice_client_of
from tengja.dashboard.selectors import practice_clients as practice_clients_of
from tengja.dashboard.week_time_off import TimeOffRow, week_time_off
from tengja.hubs.forms import HubFindForm
from tengja.hubs.selectors import (
    hubs_administered_by,
    hubs_of,
    offers_of_professional,
)
from tengja.intake.details import details_for_professional
from tengja.intake.responses import forms_to_complete, responses_of_client
from tengja.lib.windows import window
from tengja.professionals.models import Professional
from tengja.professionals.selectors import (
    professional_for_user,
    professional_public,
)

HISTORY_PAGE_SIZE = 10
ACTIVITIES_PAGE_SIZE = 50
HOME_UPCOMING = 10
HOME_REQUESTS = 5
# How many sessions a day of the calendar's month and week shows; a day with more
# links to its own list.
CALENDAR_PER_DAY = 3


def home(request: HttpRequest) -> HttpResponse:
    """Home when signed in (a client's, with the practice on top for a
    professional); a short welcome for visitors. Its cards: the practice (with its
    set-up checklist and the hubs waiting for an answer), the hubs the person runs
    as HR, and their hub memberships with the credits left; then the upcoming
    sessions, connections and past sessions."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/welcome.html", {"form": HubFindForm()})
    user = request.user
    # A client's Home asks nothing more of a practice, hubs or HR than the header knows.
    header = header_of_request(request)
    has_practice = header["has_practice"]
    professional, hub_offers_waiting = practice_for_home(user=user) if has_practice else (None, 0)
    upcoming = bookings_upcoming_for_user(user=user, has_practice=has_practice, limit=HOME_UPCOMING)
    join_blocker_set(upcoming)
    return render(
        request,
        "dashboard/home.html",
        {
            "professional": professional,
            "hub_offers_waiting": hub_offers_waiting,
            "administered": hubs_administered_by(user=user) if header["in_hr"] else [],
            # The header's hub is a member's first membership not removed.
            "memberships": hubs_of(user=user) if header["hub"] else [],
            "upcoming": upcoming,
            "open_requests": list(requests_for_client(user=user, open_only=True)[:HOME_REQUESTS])
            if header["has_open_requests"]
            else [],
            "now": timezone.now(),
            "history": window(
                bookings_past_for_user(user=user, has_practice=has_practice),
                page=request.GET.get("page"),
                size=HISTORY_PAGE_SIZE,
            ),
            # A professional's clients are on the practice page; their Home lists
            # the professionals they themselves see, if any.
            "connections": list(connections_for_client(user=user)[:6]),
            "is_professional": professional is not None,
            "forms_due": forms_to_complete(client=user),
            "was_sent_measures": header["was_sent_measures"],
        },
    )


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
def calendar_page(request: AuthenticatedRequest) -> HttpResponse:
    """A month grid, and on small screens the week list (CSS picks which shows).

    ?month=2026-11 picks the month; ?week=2026-11-23 the week (Monday first);
    ?day=2026-11-25 lists that day's sessions, all of them (the grid and the
    week show a few a day, and link a day that has more here), with its week
    and month.
    """
    today = timezone.localdate()
    month = _param_date(request.GET.get("month"))
    day = _param_date(request.GET.get("day"))
    week_anchor = _param_date(request.GET.get("week")) or day or month or today
    month_start = (month or week_anchor).replace(day=1)
    week_start = week_anchor - timedelta(days=week_anchor.weekday())
    weeks = month_weeks(month_start.year, month_start.month, today)
    week = week_days(week_start, today)
    grid_days = [d for w in weeks for d in w]
    start = min(grid_days[0].date, week[0].date)
    end = max(grid_days[-1].date, week[-1].date) + timedelta(days=1)
    # Sessions as the professional too, for one with a practice (the header knows).
    has_practice = header_of_request(request)["has_practice"]
    bookings = bookings_between_for_user(
        user=request.user,
        has_practice=has_practice,
        start=local_midnight(start),
        end=local_midnight(end),
        per_day=CALENDAR_PER_DAY,
    )
    place(bookings, grid_days, CALENDAR_PER_DAY)
    place(bookings, week, CALENDAR_PER_DAY)
    one_day = None
    if day is not None:
        [one_day] = week_days(day, today)[:1]
        place(
            bookings_between_for_user(
                user=request.user,
                has_practice=has_practice,
                start=local_midnight(day),
                end=local_midnight(day + timedelta(days=1)),
            ),
            [one_day],
        )
    return render(
        request,
        "dashboard/calendar.html",
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
def connections(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/connections.html",
        {"connections": connections_for_client(user=request.user)},
    )


@login_required
def connection(request: AuthenticatedRequest, code: str) -> HttpResponse:
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
        {
            "professional": professional,
            "sessions": sessions,
            "can_message": has_sessions(professional=professional, client=request.user),
        },
    )


# ------------------------------------------------------------------ the professional's


@login_required
def practice_week(request: AuthenticatedRequest) -> HttpResponse:
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
    week = week_days(week_start, today)
    sessions = practice_week_sessions(
        professional=professional,
        start=local_midnight(week_start),
        end=local_midnight(week_start + timedelta(days=7)),
    )
    time_off = week_time_off(professional=professional, first=week_start)
    place(sorted([*sessions, *time_off], key=lambda row: row.starts_at), week)
    for d in week:
        d.time_off = sum(1 for row in d.bookings if isinstance(row, TimeOffRow))
    return render(
        request,
        "dashboard/practice_week.html",
        {
            "professional": professional,
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
def practice_clients(request: AuthenticatedRequest) -> HttpResponse:
    """The professional's clients, and those invited who have no account yet."""
    professional = professional_for_user(user=request.user)
    clients = window(
        practice_clients_of(professional=professional), page=request.GET.get("page"), size=50
    )
    return render(
        request,
        "dashboard/practice_clients.html",
        {
            "professional": professional,
            "clients": clients,
            "invited": practice_invited(professional=professional),
        },
    )


@login_required
def practice_hubs(request: AuthenticatedRequest) -> HttpResponse:
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
def practice_client(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """One of the professional's own clients: sessions to come, past ones, open bills."""
    professional = professional_for_user(user=request.user)
    client = practice_client_of(professional=professional, code=code)
    given, missing = details_for_professional(professional=professional, client=client)
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
            "details_given": given,
            "details_missing": missing,
            "forms": responses_of_client(professional=professional, client=client),
            # practice_client_of found a session together: they may talk.
            "can_message": not client.erased_at,
        },
    )


def _activity_filter(
    request: AuthenticatedRequest, professional: Professional
) -> ActivityFilterForm:
    """The activities' filter form, bound to the query string (empty: no filter)."""
    return ActivityFilterForm(
        {key: request.GET.get(key, "") for key in ("state", "client", "type", "since", "until")},
        clients=practice_client_choices(professional=professional),
        session_types=list(
            professional.session_types.order_by("name", "pk").values_list("pk", "code", "name")
        ),
    )


def _refused(request: AuthenticatedRequest, professional: Professional, form) -> HttpResponse:
    """The activities page with the filter's errors and no sessions: a bad value
    in a link is not silently dropped (the list would not be what was asked)."""
    return render(
        request,
        "dashboard/practice_activities.html",
        {"professional": professional, "form": form, "activities": None, "totals": None},
        status=400,
    )


@login_required
def practice_activities(request: AuthenticatedRequest) -> HttpResponse:
    """Every session of the professional, newest first, filtered by state, client,
    type and dates (in their zone), 50 a page, with the totals of the filter;
    and links to the same as CSV and as a spreadsheet."""
    professional = professional_for_user(user=request.user)
    form = _activity_filter(request, professional)
    if not form.is_valid():
        return _refused(request, professional, form)
    sessions = activities_of(professional=professional, filters=form.filters())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboard/practice_activities.html",
        {
            "professional": professional,
            "form": form,
            "activities": window(
                Activities(sessions), page=request.GET.get("page"), size=ACTIVITIES_PAGE_SIZE
            ),
            "totals": activities_totals(sessions=sessions),
            # The filter, for the page links and the exports.
            "query": query.urlencode(),
        },
    )


@never_cache
@login_required
def practice_activities_export(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    """The filtered activities as a file: "csv" or "xlsx"."""
    professional = professional_for_user(user=request.user)
    form = _activity_filter(request, professional)
    if not form.is_valid():
        return _refused(request, professional, form)
    filters = form.filters()
    sessions = activities_of(professional=professional, filters=filters)
    rows = Activities(sessions).all()
    zone = timezone.get_current_timezone()
    name = export_filename(filters, timezone.localdate(), kind)
    response: HttpResponse | StreamingHttpResponse
    if kind == "csv":
        response = StreamingHttpResponse(
            csv_lines(rows, columns=header(), zone=zone), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        book = xlsx_file(
            rows, columns=header(), zone=zone, totals=activities_totals(sessions=sessions)
        )
        response = FileResponse(
            book,
            as_attachment=True,
            filename=name,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return response  # type: ignore[return-value]
