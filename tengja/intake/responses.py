"""A client's answers to a professional's forms (issue 29): what a client must
still fill in or sign, the draft saved as they type, sending and signing, and
who may read what.

Only the client and the form's professional ever reach a response: every lookup
here takes the person asking and answers 404 for anyone else (HR, other
professionals, other clients). A submitted or signed response never changes;
a response keeps the form as the client saw it (`snapshot`), so editing or
retiring the form later changes nothing already answered or signed.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.intake.models import FormResponse, IntakeForm
from tengja.professionals.models import Professional

COMPLETE = (FormResponse.State.SUBMITTED, FormResponse.State.SIGNED)


class ResponseError(Exception):
    """Why a response could not be changed (shown to the client as it is)."""


# ------------------------------------------------------------------ reads


def _upcoming_of(client: User) -> QuerySet[Booking]:
    return Booking.objects.filter(
        client=client, status=Booking.Status.CONFIRMED, ends_at__gt=timezone.now()
    )


def _completed_by(client_ref) -> Exists:
    return Exists(
        FormResponse.objects.filter(form=OuterRef("pk"), client=client_ref, state__in=COMPLETE)
    )


def _draft_code(client_ref) -> Subquery:
    return Subquery(
        FormResponse.objects.filter(form=OuterRef("pk"), client=client_ref).values("code")[:1]
    )


@dataclass(frozen=True)
class ProfessionalForms:
    """The forms one professional still needs from the client."""

    professional: Professional
    forms: list[IntakeForm]


def forms_to_complete(*, client: User) -> list[ProfessionalForms]:
    """The forms in use that the session types of the client's confirmed sessions
    to come require, and that the client has not yet sent (or signed, a consent),
    by professional: whatever the number of sessions or forms, one narrow query
    when none is required (most clients' Home) and two when some are. Each form
    has `started` (the code of a draft, or None)."""
    if not client.is_authenticated:
        return []
    required = set(
        IntakeForm.session_types.through.objects.filter(
            intakeform__is_active=True,
            sessiontype_id__in=_upcoming_of(client).values("session_type"),
        ).values_list("intakeform_id", flat=True)
    )
    if not required:
        return []
    rows = (
        IntakeForm.objects.filter(pk__in=required)
        .exclude(_completed_by(client))
        .annotate(started=_draft_code(client))
        .select_related("professional__user")
        .order_by("professional__user__name", "professional_id", "kind", "title", "pk")
    )
    grouped: dict[int, ProfessionalForms] = {}
    for form in rows:
        if form.professional_id not in grouped:
            grouped[form.professional_id] = ProfessionalForms(form.professional, [])
        grouped[form.professional_id].forms.append(form)
    return list(grouped.values())


def forms_for_session(*, booking: Booking, user: User) -> list[IntakeForm]:
    """What the client of `booking` must still complete before it (for its client
    only, while it is to come): one query."""
    if (
        booking.client_id != user.pk
        or booking.status != Booking.Status.CONFIRMED
        or booking.ends_at <= timezone.now()
    ):
        return []
    return list(
        IntakeForm.objects.filter(is_active=True, session_types=booking.session_type_id)
        .exclude(_completed_by(booking.client_id))
        .annotate(started=_draft_code(booking.client_id))
        .order_by("kind", "title", "pk")
    )


def blocker_sentence(*, kind: str, title: str) -> str:
    if kind == IntakeForm.Kind.CONSENT:
        return _("Sign “%(title)s” before the call can start.") % {"title": title}
    return _("Fill in “%(title)s” before the call can start.") % {"title": title}


def forms_join_blockers(bookings: Sequence[Booking]) -> dict[int, str]:
    """Sessions whose type requires a form in use that their client has not yet
    sent (or signed), by booking id, with what to do: two queries, whatever the
    number of sessions and forms."""
    type_ids = {b.session_type_id for b in bookings}
    required: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    through = IntakeForm.session_types.through.objects.filter(
        sessiontype_id__in=type_ids, intakeform__is_active=True
    ).order_by("intakeform__kind", "intakeform__title", "intakeform_id")
    for type_id, form_id, kind, title in through.values_list(
        "sessiontype_id", "intakeform_id", "intakeform__kind", "intakeform__title"
    ):
        required[type_id].append((form_id, kind, title))
    if not required:
        return {}
    form_ids = {form_id for forms in required.values() for form_id, _k, _t in forms}
    done = set(
        FormResponse.objects.filter(
            form_id__in=form_ids,
            client_id__in={b.client_id for b in bookings},
            state__in=COMPLETE,
        ).values_list("form_id", "client_id")
    )
    reasons: dict[int, str] = {}
    for booking in bookings:
        for form_id, kind, title in required.get(booking.session_type_id, []):
            if (form_id, booking.client_id) not in done:
                reasons[booking.pk] = blocker_sentence(kind=kind, title=title)
                break
    return reasons


def form_for_client(*, user: User, code: str) -> IntakeForm:
    """A form the client may fill in: in use and required for a session type of
    one of their confirmed sessions to come, or one they have already answered
    (what they sent or signed stays theirs to read). Else 404."""
    if not user.is_authenticated:
        raise Http404
    form = (
        IntakeForm.objects.filter(code=code)
        .filter(
            Q(
                is_active=True,
                session_types__in=_upcoming_of(user).values("session_type"),
            )
            | Q(responses__client=user)
        )
        .select_related("professional__user")
        .first()
    )
    if form is None:
        raise Http404
    return form


def response_for_user(*, user: User, code: str) -> FormResponse:
    """A response, for its client or the professional it was given to; else 404."""
    if not user.is_authenticated:
        raise Http404
    response = (
        FormResponse.objects.filter(code=code)
        .filter(Q(client=user) | Q(professional__user=user))
        .select_related("professional__user", "client")
        .first()
    )
    if response is None:
        raise Http404
    return response


def responses_of_client(*, professional: Professional, client: User) -> list[FormResponse]:
    """The forms a client has started, sent or signed for the professional (for
    their client page): one query."""
    return list(
        FormResponse.objects.filter(professional=professional, client=client).order_by(
            "created_at", "pk"
        )
    )


# ------------------------------------------------------------------ writes


def snapshot_of(form: IntakeForm) -> dict:
    """The form as the client sees it now, kept with their answers."""
    return {
        "kind": form.kind,
        "title": form.title,
        "body": form.body,
        "fields": form.fields,
        "version": form.version,
    }


def response_open(*, form: IntakeForm, client: User) -> FormResponse:
    """The client's response to `form`, made (a draft) on their first visit. A draft
    follows the form while it is only a draft: when the form has changed, its
    snapshot is taken again, keeping the answers whose questions remain."""
    response, created = FormResponse.objects.get_or_create(
        form=form,
        client=client,
        defaults={"professional": form.professional, "snapshot": snapshot_of(form)},
    )
    if (
        not created
        and response.state == FormResponse.State.DRAFT
        and form.is_active
        and response.snapshot.get("version") != form.version
    ):
        keys = {field["key"] for field in form.fields}
        snapshot = snapshot_of(form)
        answers = {k: v for k, v in response.answers.items() if k in keys}
        now = timezone.now()
        # Only while still a draft: a signature or a send that committed meanwhile
        # is never written over.
        if FormResponse.objects.filter(pk=response.pk, state=FormResponse.State.DRAFT).update(
            snapshot=snapshot, answers=answers, updated_at=now
        ):
            response.snapshot, response.answers, response.updated_at = snapshot, answers, now
        else:
            response.refresh_from_db()
    return response


def _locked(response: FormResponse, version: int | None = None) -> FormResponse:
    """The row again, locked, refusing any change once sent or signed and, with
    `version` (the form's version on the page the client read), any sending or
    signing of a form that has changed since: nobody signs a text they did not see."""
    fresh = FormResponse.objects.select_for_update().get(pk=response.pk)
    if fresh.state == FormResponse.State.SIGNED:
        raise ResponseError(_("This consent is signed: it can no longer be changed."))
    if fresh.state == FormResponse.State.SUBMITTED:
        raise ResponseError(_("This form has been sent: it can no longer be changed."))
    if version is not None and fresh.snapshot.get("version") != version:
        raise ResponseError(
            _("This form was changed after you opened it. Read it again before you send or sign.")
        )
    return fresh


def response_save(*, response: FormResponse, answers: dict) -> FormResponse:
    """Keep the client's answers so far (a draft)."""
    with transaction.atomic():
        fresh = _locked(response)
        fresh.answers = answers
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["answers", "updated_at"])
    return fresh


def response_submit(
    *, response: FormResponse, answers: dict, version: int | None = None
) -> FormResponse:
    """Send an intake form's answers (checked complete by the caller), of the
    form's `version` the client read."""
    with transaction.atomic():
        fresh = _locked(response, version)
        if fresh.snapshot.get("kind") == IntakeForm.Kind.CONSENT:
            raise ResponseError(_("A consent is signed, not sent."))
        now = timezone.now()
        fresh.answers = answers
        fresh.state = FormResponse.State.SUBMITTED
        fresh.submitted_at = now
        fresh.updated_at = now
        fresh.save(update_fields=["answers", "state", "submitted_at", "updated_at"])
    return fresh


def name_matches(typed: str, name: str) -> bool:
    """The typed name is the account's, case and spacing aside."""

    def norm(value: str) -> str:
        return " ".join(value.split()).casefold()

    return bool(norm(typed)) and norm(typed) == norm(name)


def signature_hash(*, snapshot: dict, answers: dict, name: str, signed_at: datetime) -> str:
    """SHA-256 (hex) of the canonical JSON of what was signed: the JSON object
    {"answers", "name", "signed_at", "snapshot"} with keys sorted at every level,
    no spaces (separators "," and ":"), UTF-8 without escapes, and `signed_at` in
    UTC as ISO 8601 to the second ("2026-12-07T17:45:00+00:00"). Anyone holding
    the exported response can compute it again and compare."""
    document = {
        "answers": answers,
        "name": name,
        "signed_at": signed_at.astimezone(UTC).isoformat(),
        "snapshot": snapshot,
    }
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def response_sign(
    *, response: FormResponse, answers: dict, name: str, version: int | None = None
) -> FormResponse:
    """Sign a consent with the name typed (checked against the account's name by
    the caller): the text seen (the form's `version` the client read), the
    answers, the name and the time, and their hash, kept for good."""
    with transaction.atomic():
        fresh = _locked(response, version)
        if fresh.snapshot.get("kind") != IntakeForm.Kind.CONSENT:
            raise ResponseError(_("Only a consent is signed."))
        now = timezone.now().replace(microsecond=0)
        name = " ".join(name.split())
        fresh.answers = answers
        fresh.state = FormResponse.State.SIGNED
        fresh.signed_name = name
        fresh.signed_at = now
        fresh.submitted_at = now
        fresh.updated_at = now
        fresh.signature_hash = signature_hash(
            snapshot=fresh.snapshot, answers=answers, name=name, signed_at=now
        )
        fresh.save(
            update_fields=[
                "answers",
                "state",
                "signed_name",
                "signed_at",
                "submitted_at",
                "updated_at",
                "signature_hash",
            ]
        )
    return fresh
