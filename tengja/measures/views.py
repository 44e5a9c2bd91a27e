"""The client's measures (answering, their scores, sharing) and the
professional's sending. Every object is looked up with the person asking
(tengja.measures.selectors): anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.models import User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings.models import Booking
from tengja.bookings.selectors import sessions_together
from tengja.lib.http import safe_next
from tengja.lib.limits import email_allowed
from tengja.measures.instruments import CHOICES, DIFFICULTY_CHOICES, PHQ9_DIFFICULTY, STEM
from tengja.measures.models import MeasureRequest
from tengja.measures.selectors import (
    client_series,
    crisis_contacts,
    due_for,
    flagged_for_professional,
    request_for_client,
    response_for_user,
    shares_of_client,
    waiting_for_client,
)
from tengja.measures.services import (
    MeasureError,
    flag_seen,
    measure_answer,
    measure_send,
    measure_stop,
    share_set,
)
from tengja.professionals.models import Professional
from tengja.professionals.selectors import professional_for_user


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """My measures: what is waiting, the scores over time, and with whom they are shared."""
    return render(
        request,
        "measures/mine.html",
        {
            "waiting": waiting_for_client(client=request.user),
            "series": client_series(client=request.user),
            "shares": shares_of_client(client=request.user),
        },
    )


def _questions(measure: MeasureRequest, given: dict) -> list[dict]:
    instrument = measure.questionnaire
    rows = [
        {"key": str(n), "text": text, "value": given.get(str(n), ""), "choices": CHOICES}
        for n, text in enumerate(instrument.items, start=1)
    ]
    if instrument.has_difficulty:
        rows.append(
            {
                "key": "difficulty",
                "text": PHQ9_DIFFICULTY,
                "value": given.get("difficulty", ""),
                "choices": DIFFICULTY_CHOICES,
                "optional": True,
            }
        )
    return rows


@login_required
def answer(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The questionnaire, for its client, when it is waiting; a clear message when
    an answer is refused (nothing kept)."""
    measure = request_for_client(client=request.user, code=code)
    waiting = due_for(request=measure)
    given: dict = {}
    error = ""
    status = 200
    if request.method == "POST" and waiting is not None:
        given = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken",)}
        try:
            response = measure_answer(request=measure, data=given)
        except MeasureError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, _("Thank you: your answers are saved."))
            return redirect("measures:response", code=response.code)
    elif request.method == "POST":
        messages.error(request, _("This questionnaire is not waiting for an answer now."))
        return redirect("measures:mine")
    return render(
        request,
        "measures/answer.html",
        {
            "measure": measure,
            "instrument": measure.questionnaire,
            "waiting": waiting,
            "stem": STEM,
            "questions": _questions(measure, given),
            "error": error,
        },
        status=status,
    )


@login_required
def response_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """One answer with its score, for its client (with crisis contacts after an
    answer to PHQ-9 item 9 above 0) and the professional who sent it."""
    response = response_for_user(user=request.user, code=code)
    is_client = response.request.client_id == request.user.pk
    rows = [
        {"text": q["text"], "answer": dict(q["choices"]).get(response.answers.get(q["key"]), "")}
        for q in _questions(response.request, {})
        if q["key"] in response.answers
    ]
    return render(
        request,
        "measures/response.html",
        {
            "response": response,
            "measure": response.request,
            "instrument": response.request.questionnaire,
            "is_client": is_client,
            "rows": rows,
            "crisis": crisis_contacts() if is_client and response.item9 else [],
        },
    )


@login_required
@require_POST
def share(request: AuthenticatedRequest) -> HttpResponse:
    """The client shares (or stops sharing) their scores with a professional."""
    try:
        professional = Professional.objects.select_related("user").get(
            code=request.POST.get("professional", "")
        )
    except Professional.DoesNotExist:
        raise Http404 from None
    shared = request.POST.get("shared") == "1"
    try:
        share_set(client=request.user, professional=professional, shared=shared)
    except MeasureError:
        raise Http404 from None
    name = professional.user.name
    if shared:
        messages.success(request, _("%(name)s now sees your scores.") % {"name": name})
    else:
        messages.success(request, _("%(name)s no longer sees your scores.") % {"name": name})
    return redirect("measures:mine")


def _client_of(professional: Professional, code: str) -> User:
    named = (
        Booking.objects.filter(professional=professional, client__code=code)
        .filter(sessions_together())
        .select_related("client")
        .order_by()[:1]
    )
    if not named or named[0].client is None:
        raise Http404
    return named[0].client


@login_required
@require_POST
def send(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional asks a client of theirs to answer a questionnaire."""
    professional = professional_for_user(user=request.user)
    client = _client_of(professional, code)
    try:
        measure = measure_send(
            professional=professional,
            client=client,
            instrument=request.POST.get("instrument", ""),
            mode=request.POST.get("mode", ""),
            notify=email_allowed(request=request, address=client.email),
        )
    except MeasureError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Sent: %(questionnaire)s is waiting for %(name)s.")
            % {"questionnaire": measure.get_instrument_display(), "name": client.name},
        )
    return redirect("dashboard:practice_client", code=code)


@login_required
@require_POST
def stop(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional no longer asks (what was answered stays)."""
    professional = professional_for_user(user=request.user)
    try:
        measure = MeasureRequest.objects.select_related("client").get(
            code=code, professional=professional
        )
    except MeasureRequest.DoesNotExist:
        raise Http404 from None
    measure_stop(request=measure)
    messages.success(request, _("You no longer ask for this questionnaire."))
    return redirect("dashboard:practice_client", code=measure.client.code)


@login_required
@require_POST
def seen(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional who sent the questionnaire marks the flag of an answer to
    PHQ-9 item 9 as seen; back to the page they came from (Home or the client's)."""
    professional = professional_for_user(user=request.user)
    response = flagged_for_professional(professional=professional, code=code)
    back = safe_next(
        request, reverse("dashboard:practice_client", args=[response.request.client.code])
    )
    try:
        flag_seen(response=response, professional=professional)
    except MeasureError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Marked as seen. The answer still shows item 9 in the client's scores.")
        )
    return redirect(back)
