"""The activities as a file: CSV for any program, and a spreadsheet (.xlsx) for a
bookkeeper, with dates as dates and amounts as numbers beside their currency.

Both read the sessions in chunks (Activities.all) and never hold the whole list:
the CSV is streamed a row at a time; the spreadsheet is written row by row by
openpyxl's write-only workbook into a temporary file that stays in memory while
small. Everything in the viewer's language and time zone is worked out before
the response is returned (the header row, the labels, the zone): a streamed
body is read after the request's own language and zone are gone."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, tzinfo
from decimal import Decimal
from tempfile import SpooledTemporaryFile
from typing import IO

from babel.numbers import get_currency_precision
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from tengja.dashboard.activities import Activity, Filters, Totals
from tengja.lib.money import money_to_major

# A spreadsheet under this size is kept in memory; a larger one goes to disk.
IN_MEMORY = 4 * 1024 * 1024


def export_filename(filters: Filters, today: date, extension: str) -> str:
    """Say the date range in the name: tengja-activities-from-2026-01-01-to-2026-03-31.csv."""
    parts = []
    if filters.since:
        parts.append(f"from-{filters.since.isoformat()}")
    if filters.until:
        parts.append(f"to-{filters.until.isoformat()}")
    if not parts:
        parts.append(f"all-{today.isoformat()}")
    return f"tengja-activities-{'-'.join(parts)}.{extension}"


def header() -> list[str]:
    """The columns, in the viewer's language."""
    return [
        gettext("Date"),
        gettext("Starts"),
        gettext("Ends"),
        gettext("Client"),
        gettext("Session type"),
        gettext("State"),
        gettext("Price"),
        gettext("Currency"),
        gettext("Credits"),
        gettext("Bill"),
        gettext("Bill status"),
        gettext("Bill amount"),
        gettext("Session"),
    ]


def _cells(row: Activity, zone: tzinfo) -> list:
    """A row's values: a date, two times, text, and amounts in major units."""
    starts, ends = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
    currency = row.bill_currency or row.currency
    return [
        starts.date(),
        starts.time().replace(tzinfo=None),
        ends.time().replace(tzinfo=None),
        row.client,
        row.session_type,
        row.state_label,
        None if row.paid_with_credits else money_to_major(row.price_amount, row.currency),
        "" if row.paid_with_credits and not row.bill_currency else currency,
        row.credits if row.paid_with_credits else None,
        row.bill_number,
        row.bill_status_label,
        None if row.bill_amount is None else money_to_major(row.bill_amount, currency),
        row.code,
    ]


class _Line:
    """What csv.writer writes to: it hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Activity], *, columns: list[str], zone: tzinfo) -> Iterator[str]:
    """The CSV, a line at a time: UTF-8 with a byte order mark (so that Excel
    reads "Sigurðardóttir" as such), dates as 2026-11-23, times as 14:00, amounts
    with a point and no thousands separator."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        cells = _cells(row, zone)
        cells[0] = cells[0].isoformat()
        cells[1] = cells[1].strftime("%H:%M")
        cells[2] = cells[2].strftime("%H:%M")
        yield writer.writerow(["" if cell is None else cell for cell in cells])


def _number_format(currency: str) -> str:
    decimals = get_currency_precision(currency)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def xlsx_file(
    rows: Iterable[Activity], *, columns: list[str], zone: tzinfo, totals: Totals
) -> IO[bytes]:
    """The spreadsheet, rewound: a sheet of sessions, one of the totals."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(gettext("Sessions"))
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLM", (12, 8, 8, 28, 24, 18, 12, 9, 8, 12, 14, 12, 18), strict=True
    ):
        sheet.column_dimensions[column].width = width
    sheet.append(columns)
    formats = {3: "yyyy-mm-dd", 1: "hh:mm", 2: "hh:mm"}
    for row in rows:
        cells = []
        values = _cells(row, zone)
        for index, value in enumerate(values):
            cell = WriteOnlyCell(sheet, value=value)
            if index == 0:
                cell.number_format = formats[3]
            elif index in (1, 2):
                cell.number_format = formats[index]
            elif index in (6, 11) and isinstance(value, Decimal):
                cell.number_format = _number_format(values[7] or row.currency)
            cells.append(cell)
        sheet.append(cells)
    summary = book.create_sheet(gettext("Totals"))
    summary.append([gettext("Sessions"), totals.sessions])
    summary.append([gettext("Credits"), totals.credits])
    summary.append([])
    summary.append([gettext("Currency"), gettext("Billed"), gettext("Paid"), gettext("Open")])
    for money in totals.money:
        line = [WriteOnlyCell(summary, value=money.currency)]
        for amount in (money.billed, money.paid, money.open):
            cell = WriteOnlyCell(summary, value=money_to_major(amount, money.currency))
            cell.number_format = _number_format(money.currency)
            line.append(cell)
        summary.append(line)
    out: IO[bytes] = SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (the response closes it)
    book.save(out)
    out.seek(0)
    return out
