"""An invoice as a PDF (fpdf2), in the viewer's language and time zone."""

import unicodedata

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from tengja.billing.models import Invoice
from tengja.lib.money import money_format


def latin1(text: str) -> str:
    """The PDF's built-in fonts cover Latin-1 (all of Icelandic); other letters
    lose their accents rather than the whole text."""
    out = []
    for char in text.replace("\xa0", " "):
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def invoice_pdf(invoice: Invoice) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(_("Invoice %(number)s") % {"number": invoice.display_number}))
    pdf.set_author("Tengja")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(
        0,
        12,
        latin1(_("Invoice %(number)s") % {"number": invoice.display_number}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 11)
    client = invoice.booking.client
    rows = [
        (_("From"), f"{invoice.professional.user.name}, {invoice.professional.title}"),
        (
            _("To"),
            # A deleted account's invoice is kept (bookkeeping law) without its name.
            client.display_name
            if client and client.erased_at
            else f"{client.name} <{client.email}>"
            if client
            else invoice.booking.invitation.email,
        ),
        (_("Issued"), date_format(timezone.localtime(invoice.issued_at), "DATE_FORMAT")),
        (
            _("Session"),
            f"{invoice.description}, "
            f"{date_format(timezone.localtime(invoice.session_starts_at), 'DATETIME_FORMAT')}",
        ),
        (_("Amount"), money_format(invoice.amount, invoice.currency)),
        (_("Status"), str(invoice.get_status_display())),
    ]
    if invoice.paid_at:
        rows.append(
            (_("Paid"), date_format(timezone.localtime(invoice.paid_at), "DATETIME_FORMAT"))
        )
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(40, 8, latin1(str(label)))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 8, latin1(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0, 5, latin1(_("Issued through Tengja on behalf of the professional named above."))
    )
    return bytes(pdf.output())
