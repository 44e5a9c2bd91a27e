"""Reads of notes. Every lookup is by the signed-in user as author: anybody else,
whoever they are (the client, another professional, HR, an operator), gets a 404."""

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.notes.models import Note, NoteTemplate
from tengja.notes.templates_shipped import SHIPPED
from tengja.professionals.models import Professional

# A client's page lists this many notes, newest first (the rest in the export).
LIST_SIZE = 50


def note_for_author(*, user: User, code: str) -> Note:
    if not user.is_authenticated:
        raise Http404
    try:
        return Note.objects.select_related(
            "professional__user", "client", "booking__session_type"
        ).get(code=code, professional__user=user)
    except Note.DoesNotExist:
        raise Http404 from None


def session_for_notes(*, professional: Professional, code: str) -> Booking:
    """One of the professional's sessions whose client they know (not an invitation
    still unanswered); else 404."""
    try:
        booking = Booking.objects.select_related("client", "invitation", "session_type").get(
            code=code, professional=professional
        )
    except Booking.DoesNotExist:
        raise Http404 from None
    if booking.client_id is None or not booking.client_is_known:
        raise Http404
    return booking


def client_for_notes(*, professional: Professional, code: str) -> User:
    """One of the professional's clients (a session names them); else 404. The same
    rule as their client page (dashboard.selectors.practice_client)."""
    named = (
        Booking.objects.filter(professional=professional, client__code=code)
        .filter(Q(invitation__isnull=True) | Q(invitation__accepted_at__isnull=False))
        .select_related("client")
        .order_by()[:1]
    )
    client = named[0].client if named else None
    if client is None:
        raise Http404
    return client


def notes_of_session(*, booking: Booking) -> list[Note]:
    return list(
        Note.objects.filter(booking=booking)
        .select_related("booking")
        .order_by("-created_at", "-pk")[:LIST_SIZE]
    )


def notes_of_client(*, professional: Professional, client: User) -> list[Note]:
    return list(
        Note.objects.filter(professional=professional, client=client)
        .select_related("booking")
        .order_by("-created_at", "-pk")[:LIST_SIZE]
    )


def own_templates(*, professional: Professional) -> list[NoteTemplate]:
    return list(NoteTemplate.objects.filter(professional=professional).order_by("created_at", "pk"))


def template_for_author(*, user: User, code: str) -> NoteTemplate:
    try:
        return NoteTemplate.objects.get(code=code, professional__user=user)
    except NoteTemplate.DoesNotExist:
        raise Http404 from None


def template_choices(*, professional: Professional) -> list[tuple[str, str]]:
    """What a new note may start from: a blank page, Tengja's templates, the
    professional's own."""
    return [
        ("", _("A blank page")),
        *((key, str(label)) for key, (label, _make) in SHIPPED.items()),
        *((t.code, t.name) for t in own_templates(professional=professional)),
    ]
