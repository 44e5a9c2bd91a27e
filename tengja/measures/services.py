"""Sending a questionnaire, answering it, and sharing scores (issue 30).

E-mails go after the write commits (tengja.lib.emails.email_send). The e-mail a
professional gets about PHQ-9 item 9 says only that an answer needs their
attention: no answers, no scores, no name. Both are also published
(tengja.measures.events) for the in-app notices, which measures cannot name."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tengja.accounts.models import User
from tengja.bookings.selectors import has_sessions
from tengja.lib.emails import email_send
from tengja.measures import events
from tengja.measures.instruments import AnswerError, clean_answers, score
from tengja.measures.models import MeasureRequest, MeasureResponse, Share
from tengja.measures.selectors import due_for
from tengja.professionals.models import Professional


class MeasureError(ValueError):
    """Refused: nothing was changed."""


def measure_send(
    *, professional: Professional, client: User, instrument: str, mode: str, notify: bool = True
) -> MeasureRequest:
    """Ask the client to answer a questionnaire. A request for the same
    questionnaire still open between the two is replaced by this one. The client
    is always told in the app; `notify` says whether by e-mail too (the view
    passes False over the e-mail rate limit)."""
    if instrument not in MeasureRequest.Instrument.values:
        raise MeasureError(_("Choose a questionnaire."))
    if mode not in MeasureRequest.Mode.values:
        raise MeasureError(_("Choose how often."))
    if not has_sessions(professional=professional, client=client):
        raise MeasureError(_("You can only send a questionnaire to a client of yours."))
    with transaction.atomic():
        MeasureRequest.objects.filter(
            professional=professional, client=client, instrument=instrument, active=True
        ).update(active=False)
        request = MeasureRequest.objects.create(
            professional=professional, client=client, instrument=instrument, mode=mode
        )
        events.publish(events.MeasureEvent(kind=events.MeasureKind.SENT, request=request))
        if notify:
            email_send(
                template="measure-sent",
                to=client.email,
                context={
                    "user": client,
                    "professional_name": professional.user.name,
                    "questionnaire": request.get_instrument_display(),
                    "every_session": mode == MeasureRequest.Mode.EVERY_SESSION,
                    "url": settings.SITE_URL + reverse("measures:mine"),
                },
                language=client.language,
                time_zone=client.time_zone,
            )
    return request


def measure_stop(*, request: MeasureRequest) -> None:
    """The professional no longer asks (what was answered stays)."""
    MeasureRequest.objects.filter(pk=request.pk).update(active=False)


def measure_answer(
    *, request: MeasureRequest, data: dict[str, object], now=None
) -> MeasureResponse:
    """Keep the client's answers exactly as given, scored. Refused (MeasureError,
    nothing kept) when nothing is asked now, or when an answer is missing, out of
    range or not one of the questionnaire's."""
    now = now or timezone.now()
    try:
        answers = clean_answers(request.questionnaire, data)
    except AnswerError as error:
        raise MeasureError(str(error)) from None
    total, band, item9 = score(request.questionnaire, answers)
    with transaction.atomic():
        # One answer at a time per request: two tabs cannot both answer.
        locked = MeasureRequest.objects.select_for_update().get(pk=request.pk)
        waiting = due_for(request=locked, now=now)
        if waiting is None:
            raise MeasureError(_("This questionnaire is not waiting for an answer now."))
        response = MeasureResponse.objects.create(
            request=locked,
            booking=waiting.booking,
            answers=answers,
            total=total,
            band=band,
            item9=item9,
            answered_at=now,
        )
        if locked.mode == MeasureRequest.Mode.ONCE:
            MeasureRequest.objects.filter(pk=locked.pk).update(active=False)
        if item9:
            events.publish(
                events.MeasureEvent(
                    kind=events.MeasureKind.ATTENTION, request=request, response=response
                )
            )
            professional = request.professional
            email_send(
                template="measure-attention",
                to=professional.user.email,
                context={
                    "user": professional.user,
                    "url": settings.SITE_URL
                    + reverse("dashboard:practice_client", kwargs={"code": request.client.code}),
                },
                language=professional.user.language,
                time_zone=professional.user.time_zone,
            )
    return response


def flag_seen(*, response: MeasureResponse, professional: Professional, now=None) -> bool:
    """The professional who sent the questionnaire has seen the answer to PHQ-9
    item 9: its flag leaves their Home and the client's page (the answer keeps
    item 9). Refused (MeasureError, nothing changed) for anyone else or an answer
    without the flag. Seen twice, the first time and person stay; False then."""
    if response.request.professional_id != professional.pk or not response.item9:
        raise MeasureError(_("This answer has no flag of yours."))
    marked = MeasureResponse.objects.filter(
        pk=response.pk, item9=True, flag_seen_at__isnull=True
    ).update(flag_seen_at=now or timezone.now(), flag_seen_by=professional.user)
    return bool(marked)


def share_set(*, client: User, professional: Professional, shared: bool) -> None:
    """Share (or stop sharing) the client's scores with a professional they have
    sessions with."""
    if not has_sessions(professional=professional, client=client):
        raise MeasureError(_("You can only share with a professional you have sessions with."))
    if shared:
        Share.objects.get_or_create(client=client, professional=professional)
    else:
        Share.objects.filter(client=client, professional=professional).delete()


def measures_erase(*, user: User) -> None:
    """An account is deleted: answers given to a professional stay with them as
    their health record (lög um sjúkraskrár nr. 55/2009); what was never answered,
    and the client's shares, go. Requests stop asking."""
    MeasureRequest.objects.filter(client=user, responses__isnull=True).delete()
    MeasureRequest.objects.filter(client=user).update(active=False)
    Share.objects.filter(client=user).delete()
