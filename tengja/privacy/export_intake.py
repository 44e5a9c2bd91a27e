"""The parts of "Download my data" that come from a professional's booking page
and intake (issue 29): what a client asked for and gave, and what a
professional received, for both of them."""

from collections.abc import Iterator

from django.db.models import Q

from tengja.accounts.models import User
from tengja.bookings.models import BookingRequest
from tengja.intake.models import ClientDetails, FormResponse, IntakeForm

CHUNK = 500
DETAIL_FIELDS = (
    "address",
    "phone",
    "date_of_birth",
    "national_id",
    "emergency_contact",
    "reason",
)


def session_requests_of(user: User) -> Iterator[dict]:
    rows = (
        BookingRequest.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "session_type", "client", "booking")
        .order_by("created_at", "pk")
    )
    for request in rows.iterator(CHUNK):
        to_you = request.professional.user_id == user.pk
        yield {
            "role": "professional" if to_you else "client",
            "with": request.client.name if to_you else request.professional.user.name,
            "session_type": request.session_type.name,
            "starts_at": request.starts_at,
            "message": request.message,
            "status": request.status,
            "reason": request.decline_reason,
            "asked_at": request.created_at,
            "answered_at": request.answered_at,
            "session": request.booking.code if request.booking else None,
        }


def client_details_of(user: User) -> Iterator[dict]:
    rows = (
        ClientDetails.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .order_by("updated_at", "pk")
    )
    for details in rows.iterator(CHUNK):
        to_you = details.professional.user_id == user.pk
        yield {
            "role": "professional" if to_you else "client",
            "with": details.client.name if to_you else details.professional.user.name,
            **{field: getattr(details, field) for field in DETAIL_FIELDS},
            "updated_at": details.updated_at,
        }


def intake_forms_of(user: User) -> Iterator[dict]:
    forms = IntakeForm.objects.filter(professional__user=user).prefetch_related("session_types")
    for form in forms.order_by("created_at", "pk").iterator(CHUNK):
        yield {
            "kind": form.kind,
            "title": form.title,
            "text": form.body,
            "fields": form.fields,
            "required_for": [kind.name for kind in form.session_types.all()],
            "in_use": form.is_active,
            "version": form.version,
        }


def form_responses_of(user: User) -> Iterator[dict]:
    rows = (
        FormResponse.objects.filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .order_by("created_at", "pk")
    )
    for response in rows.iterator(CHUNK):
        to_you = response.professional.user_id == user.pk
        yield {
            "role": "professional" if to_you else "client",
            "with": response.client.name if to_you else response.professional.user.name,
            "form": response.snapshot,
            # A draft is the client's alone until sent (the professional's pages
            # show only that it was started): so is its copy.
            "answers": None
            if to_you and response.state == FormResponse.State.DRAFT
            else response.answers,
            "state": response.state,
            "submitted_at": response.submitted_at,
            "signed_name": response.signed_name,
            "signed_at": response.signed_at,
            "signature_hash": response.signature_hash,
        }
