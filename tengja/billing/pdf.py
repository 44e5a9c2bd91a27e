"""An invoice as a PDF (fpdf2), in the viewer's language and time zone.

The text is set in DejaVu Sans, shipped in `fonts/` (with its licence) and
embedded as a subset of the letters used: fpdf2's built-in fonts cover Latin-1
only, which turned "€", "Łukasz" and any Cyrillic or Greek name into "?".
"""

from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from tengja.billing.models import PAID, Invoice
from tengja.lib.money import money_format

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"


def _document() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    return pdf


def invoice_pdf(invoice: Invoice) -> bytes:
    """The bill as bookkeeping wants it: who bills whom, for what and when (in the
    reader's time zone, named), the amount, and how it was paid."""
    title = f"{invoice.get_kind_display()} {invoice.display_number}"
    pdf = _document()
    pdf.set_title(title)
    pdf.set_author("Tengja")
    pdf.add_page()
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    professional = invoice.professional
    seller = [professional.business_name or professional.user.name]
    if professional.business_address:
        seller.append(professional.business_address)
    if professional.business_id:
        seller.append(_("ID number: %(id)s") % {"id": professional.business_id})
    if professional.vat_number:
        seller.append(_("VAT number: %(vat)s") % {"vat": professional.vat_number})
    seller.append(professional.title)
    client = invoice.booking.client
    zone = timezone.get_current_timezone_name()
    session_time = date_format(timezone.localtime(invoice.session_starts_at), "DATETIME_FORMAT")
    amount = money_format(invoice.amount, invoice.currency)
    rows = [
        (_("From"), "\n".join(seller)),
        (
            _("To"),
            # A deleted account's invoice is kept (bookkeeping law) without its name;
            # an invitation not yet opened names its address (Booking.client_is_known).
            invoice.booking.invitation.email
            if client is None or not invoice.booking.client_is_known
            else client.display_name
            if client.erased_at
            else f"{client.name} <{client.email}>",
        ),
        (_("Issued"), date_format(timezone.localtime(invoice.issued_at), "DATE_FORMAT")),
        *(
            [(_("Due"), date_format(timezone.localtime(invoice.due_at), "DATE_FORMAT"))]
            if invoice.due_at
            else []
        ),
        (_("Session"), f"{invoice.description}, {session_time} ({zone})"),
        (_("Amount"), f"-{amount}" if invoice.is_credit_note else amount),
        (_("Status"), str(invoice.get_status_display())),
    ]
    if invoice.is_credit_note:
        assert invoice.corrects is not None  # a credit note corrects an invoice
        rows.insert(
            0,
            (
                _("Corrects"),
                _("Invoice %(number)s, in full") % {"number": invoice.corrects.display_number},
            ),
        )
    if invoice.paid_at:
        payment = invoice.payments.filter(status__in=PAID).select_related("method").first()
        if payment is not None and payment.is_manual:
            # Paid to the professional outside Tengja, on a day (no time of day).
            rows.append((_("Paid"), payment.paid_sentence()))
            if payment.reference:
                rows.append((_("Reference"), payment.reference))
        else:
            rows.append(
                (_("Paid"), date_format(timezone.localtime(invoice.paid_at), "DATETIME_FORMAT"))
            )
        if payment is not None and payment.method is not None:
            card = payment.method
            rows.append(
                (
                    _("Paid with"),
                    _("%(brand)s card ending %(last4)s")
                    % {"brand": card.brand, "last4": card.last4},
                )
            )
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(40, 8, str(label))
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 8, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, _("Issued through Tengja on behalf of the professional named above."))
    return bytes(pdf.output())
