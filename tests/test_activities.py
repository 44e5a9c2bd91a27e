"""The professional's activities: every session of theirs, filtered (state,
client, type, dates in their zone), paginated, with totals; the same as CSV and
as a spreadsheet; and the practice page's twelve months."""

import csv
import io
import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tengja.billing.models import Invoice
from tengja.bookings.models import Booking, Invitation
from tengja.dashboard.views import ACTIVITIES_PAGE_SIZE
from tests.factories import BookingFactory, SessionTypeFactory, UserFactory

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
PAGE = reverse("dashboard:practice_activities")
CSV = reverse("dashboard:practice_activities_csv")
XLSX = reverse("dashboard:practice_activities_xlsx")
# Session, user, the header, the professional, the filter's clients and types,
# a page of rows, the totals, the open requests' count in the practice's navigation.
PAGE_QUERIES = 9
EXPORT_QUERIES = 8


@pytest.fixture
def helga(professional):
    """The professional, in New York."""
    professional.user.time_zone = "America/New_York"
    professional.user.save()
    return professional


@pytest.fixture
def kinds(helga):
    return {
        "talk": SessionTypeFactory(professional=helga, name="Viðtal", price_amount=15000),
        "couple": SessionTypeFactory(
            professional=helga, name="Pararáðgjöf", price_amount=9000, currency="EUR"
        ),
    }


_numbers = iter(range(1, 10**6))


def session(
    kind,
    starts_at: datetime,
    client=None,
    *,
    bill: str | None = None,
    invited: str | None = None,
    accepted: bool = True,
    **fields,
) -> Booking:
    """A session of `kind` at `starts_at`, with a bill of status `bill` if given,
    and an invitation to `invited` (accepted or not) if given."""
    booking = BookingFactory(
        session_type=kind, starts_at=starts_at, client=client or UserFactory(), **fields
    )
    if invited:
        Invitation.objects.create(
            booking=booking,
            email=invited,
            token_hash=secrets.token_hex(32),
            expires_at=starts_at,
            accepted_at=timezone.now() if accepted else None,
        )
    if bill:
        Invoice.objects.create(
            professional=booking.professional,
            number=next(_numbers),
            booking=booking,
            description=kind.name,
            session_starts_at=starts_at,
            amount=booking.price_amount,
            currency=booking.currency,
            status=bill,
        )
    return booking


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def states(helga, kinds, alice):
    """One session in each state, the cancelled ones and the done one last week."""
    now = timezone.now()
    talk = kinds["talk"]
    day = timezone.localtime(now, NEW_YORK).date() - timedelta(days=7)
    cancelled = {"status": Booking.Status.CANCELLED, "cancelled_at": now}
    return {
        Booking.State.PLANNED: session(talk, now + timedelta(days=2), alice, bill="open"),
        Booking.State.IN_PROGRESS: session(talk, now - timedelta(minutes=10), alice),
        Booking.State.ENDED: session(talk, at(day, 9), alice, bill="open"),
        Booking.State.DONE: session(talk, at(day, 11), alice, bill="paid", completed_at=now),
        Booking.State.CANCELLED: session(
            talk, at(day, 13), alice, cancel_reason=Booking.CancelReason.BY_CLIENT, **cancelled
        ),
        Booking.State.NO_SHOW: session(
            talk, at(day, 15), alice, cancel_reason=Booking.CancelReason.NO_SHOW, **cancelled
        ),
        Booking.State.VOID: session(
            talk,
            at(day, 17),
            alice,
            bill="void",
            cancel_reason=Booking.CancelReason.MISTAKE,
            **cancelled,
        ),
    }


def rows_of(body: str) -> list[str]:
    """The session codes a page lists, in order."""
    return [part.split('"', 1)[0] for part in body.split('href="/sessions/')[1:]]


@pytest.mark.parametrize("state", list(Booking.State))
def test_each_state_filters_its_sessions(client, helga, states, state):
    client.force_login(helga.user)
    response = client.get(PAGE, {"state": state.value})
    assert response.status_code == 200
    body = response.content.decode()
    assert [code.rstrip("/") for code in rows_of(body)] == [states[state].code]
    assert str(state.label) in body


def test_every_session_newest_first_with_its_state_price_and_bill(client, helga, states):
    client.force_login(helga.user)
    body = client.get(PAGE).content.decode()
    codes = [code.rstrip("/") for code in rows_of(body)]
    by_start = sorted(states.values(), key=lambda b: b.starts_at, reverse=True)
    assert codes == [b.code for b in by_start]
    for text in ("Ended, not marked done", "No-show", "Void", "ISK\xa015,000", "Paid", "Open"):
        assert text in body


def test_a_client_is_named_only_once_they_accepted(client, helga, kinds, alice, bob):
    talk = kinds["talk"]
    now = timezone.now()
    named = session(talk, now + timedelta(days=1), alice, invited=alice.email)
    unaccepted = session(talk, now + timedelta(days=2), alice, invited=alice.email, accepted=False)
    bobs = session(talk, now + timedelta(days=3), bob)
    client.force_login(helga.user)
    body = client.get(PAGE).content.decode()
    row = body.split(f'href="/sessions/{unaccepted.code}/"', 1)[1].split("</tr>", 1)[0]
    assert alice.email in row and "Alice Andersen" not in row
    # The filter lists the clients she may see; Alice's sessions are the one
    # that names her.
    assert "Alice Andersen" in body and "Bob Bergsson" in body
    body = client.get(PAGE, {"client": alice.code}).content.decode()
    assert [c.rstrip("/") for c in rows_of(body)] == [named.code]
    body = client.get(PAGE, {"client": bob.code}).content.decode()
    assert [c.rstrip("/") for c in rows_of(body)] == [bobs.code]


def test_an_invited_client_who_never_accepted_is_not_in_the_client_list(client, helga, kinds):
    stranger = UserFactory(name="Nafnlaus Manneskja")
    session(
        kinds["talk"],
        timezone.now() + timedelta(days=1),
        stranger,
        invited=stranger.email,
        accepted=False,
    )
    client.force_login(helga.user)
    body = client.get(PAGE).content.decode()
    assert "Nafnlaus Manneskja" not in body and stranger.email in body
    assert client.get(PAGE, {"client": stranger.code}).status_code == 400


def test_session_type_filter(client, helga, kinds, alice):
    now = timezone.now()
    talk = session(kinds["talk"], now + timedelta(days=1), alice)
    couple = session(kinds["couple"], now + timedelta(days=2), alice)
    client.force_login(helga.user)
    for kind, booking in ((kinds["talk"], talk), (kinds["couple"], couple)):
        body = client.get(PAGE, {"type": kind.code}).content.decode()
        assert [c.rstrip("/") for c in rows_of(body)] == [booking.code]


def test_dates_are_days_in_the_professionals_zone(client, helga, kinds, alice):
    """23:30 on 31 January in New York is 1 February in UTC: it is January's."""
    talk = kinds["talk"]
    late = session(talk, at(date(2031, 1, 31), 23, 30), alice)
    first = session(talk, at(date(2031, 2, 1), 0, 30), alice)
    session(talk, at(date(2031, 1, 30), 23, 0), alice)
    client.force_login(helga.user)
    body = client.get(PAGE, {"since": "2031-01-31", "until": "2031-01-31"}).content.decode()
    assert [c.rstrip("/") for c in rows_of(body)] == [late.code]
    assert "23:30" in body  # shown in her zone
    body = client.get(PAGE, {"since": "2031-02-01"}).content.decode()
    assert [c.rstrip("/") for c in rows_of(body)] == [first.code]


def test_totals_per_currency(client, helga, kinds, alice):
    now = timezone.now()
    talk, couple = kinds["talk"], kinds["couple"]
    session(talk, now + timedelta(days=1), alice, bill="open")
    session(talk, now + timedelta(days=2), alice, bill="paid")
    session(talk, now + timedelta(days=3), alice, bill="paid")
    session(talk, now + timedelta(days=4), alice, bill="refunded")
    session(talk, now + timedelta(days=5), alice, bill="void")
    session(couple, now + timedelta(days=6), alice, bill="paid")
    session(talk, now + timedelta(days=7), alice, paid_with="credits", credits=2, price_amount=0)
    client.force_login(helga.user)
    body = client.get(PAGE).content.decode()
    totals = body.split('id="totals-heading"')[1].split("</section>")[0]
    assert "7 sessions" in totals and "2 credits" in totals
    isk = totals.split('<th scope="row">ISK</th>')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in isk.split("</td>")[:3]] == [
        "ISK\xa045,000",  # billed: open and paid
        "ISK\xa030,000",
        "ISK\xa015,000",
    ]
    eur = totals.split('<th scope="row">EUR</th>')[1].split("</tr>")[0]
    assert "€90.00" in eur
    # Filtered: only the open one.
    body = client.get(PAGE, {"type": couple.code}).content.decode()
    totals = body.split('id="totals-heading"')[1].split("</section>")[0]
    assert "1 session" in totals and "ISK" not in totals


def test_pages_of_fifty_keep_the_filter(client, helga, kinds, alice):
    start = timezone.now() + timedelta(days=1)
    for i in range(ACTIVITIES_PAGE_SIZE * 2 + 20):
        session(kinds["talk"], start + timedelta(hours=i), alice)
    session(kinds["couple"], start - timedelta(hours=3), alice)
    client.force_login(helga.user)
    query = {"type": kinds["talk"].code}
    body = client.get(PAGE, query).content.decode()
    assert len(rows_of(body)) == ACTIVITIES_PAGE_SIZE
    assert f"?type={kinds['talk'].code}&amp;page=2" in body
    body = client.get(PAGE, {**query, "page": 3}).content.decode()
    assert len(rows_of(body)) == 20
    assert "121 sessions" not in body and "120 sessions" in body


@pytest.mark.parametrize(
    "query, error",
    [
        ({"state": "finished"}, "Select a valid choice"),
        ({"client": "nobody"}, "Select a valid choice"),
        ({"type": "<script>"}, "Select a valid choice"),
        ({"since": "2031-13-01"}, "Enter a valid date"),
        ({"since": "0001-01-01"}, "between 1900 and 2200"),
        ({"since": "2031-02-01", "until": "2031-01-01"}, "The last day comes before the first"),
    ],
)
def test_a_bad_filter_is_a_clear_error(client, helga, states, query, error):
    client.force_login(helga.user)
    for url in (PAGE, CSV, XLSX):
        response = client.get(url, query)
        assert response.status_code == 400
        body = response.content.decode()
        assert error in body and 'class="form-errors"' in body
        assert rows_of(body) == []


def test_only_the_professional_sees_their_activities(
    client, helga, states, other_professional, alice, hr
):
    client.force_login(other_professional.user)
    body = client.get(PAGE).content.decode()
    assert rows_of(body) == [] and "No sessions match" in body
    body = b"".join(client.get(CSV).streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1  # the header only
    for person in (alice, hr):
        client.force_login(person)
        for url in (PAGE, CSV, XLSX):
            assert client.get(url).status_code == 404
    client.logout()
    for url in (PAGE, CSV, XLSX):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/")


def read_csv(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel looks for
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_has_the_pages_sessions_and_totals(client, helga, kinds, alice):
    alice.name = "Álfheiður Þórsdóttir"
    alice.save()
    now = timezone.now()
    session(kinds["talk"], now + timedelta(days=1), alice, bill="open")
    session(kinds["talk"], now + timedelta(days=2), alice, bill="paid")
    session(kinds["couple"], now + timedelta(days=3), alice, bill="paid")
    client.force_login(helga.user)
    page = client.get(PAGE).content.decode()
    response = client.get(CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    today = timezone.localdate(timezone=NEW_YORK).isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="tengja-activities-all-{today}.csv"'
    )
    header, *rows = read_csv(response)
    assert header[:6] == ["Date", "Starts", "Ends", "Client", "Session type", "State"]
    assert len(rows) == 3 and {row[3] for row in rows} == {"Álfheiður Þórsdóttir"}
    assert [row[4] for row in rows] == ["Pararáðgjöf", "Viðtal", "Viðtal"]
    assert [row[0] for row in rows][-1] == timezone.localtime(
        now + timedelta(days=1), NEW_YORK
    ).date().isoformat()
    # The totals the page shows, from the file's own columns.
    column = dict(zip(header, range(len(header)), strict=True))
    paid = {"ISK": Decimal(0), "EUR": Decimal(0)}
    for row in rows:
        if row[column["Bill status"]] == "Paid":
            paid[row[column["Currency"]]] += Decimal(row[column["Bill amount"]])
    assert paid == {"ISK": Decimal(15000), "EUR": Decimal("90.00")}
    assert "ISK\xa015,000" in page and "€90.00" in page
    assert f"{len(rows)} sessions" in page


def test_csv_in_icelandic_with_the_filter_in_its_name(client, helga, kinds, alice):
    helga.user.language = "is"
    helga.user.save()
    session(kinds["talk"], at(date(2031, 3, 2), 10), alice, bill="paid")
    client.force_login(helga.user)
    response = client.get(CSV, {"since": "2031-03-01", "until": "2031-03-31"})
    assert (
        'filename="tengja-activities-from-2031-03-01-to-2031-03-31.csv"'
        in (response["Content-Disposition"])
    )
    header, row = read_csv(response)
    assert header[0] == "Dagsetning" and "Tegund tíma" in header
    assert row[:3] == ["2031-03-02", "10:00", "10:50"]
    assert row[5] == "Á dagskrá" and row[6] == "15000" and row[10] == "Greiddur"


def test_spreadsheet_has_dates_numbers_and_totals(client, helga, kinds, alice):
    session(kinds["talk"], at(date(2031, 3, 2), 10), alice, bill="paid")
    session(kinds["couple"], at(date(2031, 3, 3), 9), alice, bill="open")
    client.force_login(helga.user)
    response = client.get(XLSX, {"since": "2031-03-01"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="tengja-activities-from-2031-03-01.xlsx"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet, totals = book.worksheets
    header, *rows = list(sheet.values)
    assert header[0] == "Date" and len(rows) == 2
    newest, oldest = rows
    assert newest[0] == datetime(2031, 3, 3, 0, 0)  # a date cell (openpyxl reads it as a datetime)
    assert newest[1] == time(9, 0)
    assert newest[6] == 90 and newest[7] == "EUR" and newest[11] == 90
    assert oldest[6] == 15000 and oldest[7] == "ISK" and oldest[10] == "Paid"
    assert sheet.cell(row=2, column=1).is_date
    values = list(totals.values)
    assert values[0] == ("Sessions", 2, None, None)
    assert ("ISK", 15000, 15000, 0) in values and ("EUR", 90, 0, 90) in values


def many_sessions(professional, kind, n: int) -> None:
    """`n` past sessions, a day apart, each with a paid bill, in bulk."""
    clients = [UserFactory() for _ in range(5)]
    start = timezone.now().replace(microsecond=0) - timedelta(days=n + 1)
    bookings = Booking.objects.bulk_create(
        Booking(
            professional=professional,
            client=clients[k % 5],
            session_type=kind,
            starts_at=start + timedelta(days=k),
            ends_at=start + timedelta(days=k, minutes=50),
            price_amount=15000,
            currency="ISK",
            completed_at=start + timedelta(days=k, minutes=50),
        )
        for k in range(n)
    )
    Invoice.objects.bulk_create(
        Invoice(
            professional=professional,
            number=10_000 + k,
            booking=b,
            description="Viðtal",
            session_starts_at=b.starts_at,
            amount=15000,
            currency="ISK",
            status=Invoice.Status.PAID,
        )
        for k, b in enumerate(bookings)
    )


def test_the_page_and_exports_cost_the_same_with_5000_sessions(
    client, helga, kinds, alice, django_assert_max_num_queries
):
    session(kinds["talk"], timezone.now() + timedelta(days=1), alice, bill="open")
    client.force_login(helga.user)
    queries = {"state": "done", "since": "2000-01-01", "page": "2"}
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(PAGE, queries).status_code == 200
    many_sessions(helga, kinds["talk"], 5000)
    with django_assert_max_num_queries(PAGE_QUERIES):
        body = client.get(PAGE, queries).content.decode()
    assert len(rows_of(body)) == ACTIVITIES_PAGE_SIZE and "5000 sessions" in body
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert len(rows_of(client.get(PAGE).content.decode())) == ACTIVITIES_PAGE_SIZE
    with django_assert_max_num_queries(EXPORT_QUERIES):
        rows = read_csv(client.get(CSV))
    assert len(rows) == 5002
    with django_assert_max_num_queries(EXPORT_QUERIES):
        content = b"".join(client.get(XLSX).streaming_content)
    assert openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].max_row == 5002


def test_the_page_in_icelandic(client, helga, states):
    helga.user.language = "is"
    helga.user.save()
    client.force_login(helga.user)
    body = client.get(PAGE).content.decode()
    for text in ("Færslur", "Mætti ekki", "Ógilt", "Sækja sem CSV", "Liðinn, ekki merktur lokinn"):
        assert text in body


# ------------------------------------------------------------------ the twelve months


@time_machine.travel(datetime(2031, 6, 15, 12, 0, tzinfo=NEW_YORK), tick=False)
def test_the_chart_has_twelve_months_in_the_professionals_zone(
    client, helga, kinds, alice, django_assert_max_num_queries
):
    talk = kinds["talk"]
    # The last evening of May in New York is June in UTC: May's.
    session(talk, at(date(2031, 5, 31), 22), alice, bill="paid")
    session(talk, at(date(2031, 5, 10), 9), alice, bill="open")
    session(talk, at(date(2031, 6, 20), 9), alice)
    session(talk, at(date(2030, 7, 1), 9), alice, bill="paid")  # the first month shown
    session(talk, at(date(2030, 6, 30), 9), alice, bill="paid")  # too old
    session(
        talk,
        at(date(2031, 4, 1), 9),
        alice,
        status=Booking.Status.CANCELLED,
        cancelled_at=timezone.now(),
    )
    client.force_login(helga.user)
    with django_assert_max_num_queries(9):
        body = client.get(reverse("bookings:practice")).content.decode()
    chart = body.split('id="months-heading"')[1].split("</section>")[0]
    rows = [
        [cell.split(">")[-1] for cell in row.split("</t")[:-1]]
        for row in chart.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    ]
    assert len(rows) == 12
    assert rows[0] == ["July 2030", "1", "ISK\xa015,000"]
    assert rows[-2] == ["May 2031", "2", "ISK\xa015,000"]
    assert rows[-1] == ["June 2031", "1", "ISK\xa00"]
    assert rows[-3] == ["April 2031", "0", "ISK\xa00"]  # cancelled: not a session held
    assert 'aria-hidden="true"' in chart and "<svg" in chart and chart.count("<rect") == 24


def test_the_chart_costs_two_queries_however_many_sessions(
    client, helga, kinds, django_assert_max_num_queries
):
    client.force_login(helga.user)
    with django_assert_max_num_queries(9):
        client.get(reverse("bookings:practice"))
    many_sessions(helga, kinds["talk"], 800)
    with django_assert_max_num_queries(9):
        body = client.get(reverse("bookings:practice")).content.decode()
    chart = body.split('id="months-heading"')[1].split("</section>")[0]
    assert "ISK\xa00" not in chart.split("<tbody>")[1].split("</tr>")[5]


def test_the_chart_in_icelandic(client, helga):
    helga.user.language = "is"
    helga.user.save()
    client.force_login(helga.user)
    body = client.get(reverse("bookings:practice")).content.decode()
    chart = body.split('id="months-heading"')[1].split("</section>")[0]
    assert "Síðustu tólf mánuðir" in body and "Tekjur" in chart and "0\xa0kr." in chart


def test_a_private_note_is_in_no_list_or_file(client, helga, kinds, alice):
    session(
        kinds["talk"],
        timezone.now() - timedelta(days=1),
        alice,
        status=Booking.Status.CANCELLED,
        cancelled_at=timezone.now(),
        cancel_reason=Booking.CancelReason.NO_SHOW,
        cancel_note="Leyndarmál: gleymdi tímanum",
    )
    client.force_login(helga.user)
    assert "Leyndarmál" not in client.get(PAGE).content.decode()
    assert "Leyndarmál" not in "".join(",".join(row) for row in read_csv(client.get(CSV)))
    content = b"".join(client.get(XLSX).streaming_content)
    cells = [
        c for row in openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values for c in row
    ]
    assert "Mætti ekki" not in cells and "No-show" in cells
    assert not any("Leyndarmál" in str(cell) for cell in cells)
