"""A signed consent as a PDF (fpdf2), for its client and its professional: the
exact text signed (the response's snapshot), the answers, who signed, when (in
the reader's time zone, named) and the signature's hash.

Set in the DejaVu Sans that billing ships (tengja/billing/fonts, read as files,
not imported): fpdf2's built-in fonts cover Latin-1 only.
"""

from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from tengja.intake.answers import answer_rows
from tengja.intake.models import FormResponse

FONTS = Path(__file__).resolve().parent.parent / "billing" / "fonts"
FONT = "DejaVuSans"


def signed_line(response: FormResponse) -> str:
    """ "Signed by <name> on <time>", in the reader's time zone (named)."""
    assert response.signed_at is not None
    when = date_format(timezone.localtime(response.signed_at), "DATETIME_FORMAT")
    zone = timezone.get_current_timezone_name()
    return _("Signed by %(name)s on %(when)s (%(zone)s)") % {
        "name": response.signed_name,
        "when": when,
        "zone": zone,
    }


def consent_pdf(response: FormResponse) -> bytes:
    snapshot = response.snapshot
    title = str(snapshot.get("title", ""))
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(title)
    pdf.set_author("Tengja")
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    professional = response.professional
    for label, value in (
        (_("Professional"), f"{professional.user.name}, {professional.title}"),
        # A deleted account's record keeps the name it was signed with.
        (_("Client"), response.client.name or response.signed_name),
    ):
        pdf.set_font(FONT, "B", 11)
        pdf.cell(40, 8, str(label))
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 8, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, str(snapshot.get("body", "")), new_x="LMARGIN", new_y="NEXT")
    rows = answer_rows(response)
    if rows:
        pdf.ln(4)
        for spec, value in rows:
            pdf.set_font(FONT, "B", 11)
            pdf.multi_cell(0, 6, str(spec.get("label", "")), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, "", 11)
            pdf.multi_cell(0, 6, value or "–", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.ln(6)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 7, signed_line(response), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.multi_cell(
        0,
        5,
        _("SHA-256 of the text, the answers, the name and the time: %(hash)s")
        % {"hash": response.signature_hash},
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
