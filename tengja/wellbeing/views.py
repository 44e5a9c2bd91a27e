"""A member's WHO-5 (answering, their own scores, sharing) and the rating of a
hub session. Objects are looked up with the person asking: anyone else's is a
404. HR's figures and a professional's average are drawn by template tags on
their own pages (templatetags/wellbeing.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.hubs.models import Hub, Membership
from tengja.hubs.selectors import MembershipPending, active_membership
from tengja.professionals.models import Professional
from tengja.wellbeing.instruments import (
    ALLIANCE_CHOICES,
    ALLIANCE_ITEMS,
    LIKELY_DEPRESSION_AT_MOST,
    WHO5_CHOICES,
    WHO5_ITEMS,
    WHO5_STEM,
)
from tengja.wellbeing.models import Respondent
from tengja.wellbeing.selectors import (
    booking_to_rate,
    member_checkins,
    rating_refusal,
    shares_of_member,
    who5_due_at,
    who5_series,
)
from tengja.wellbeing.services import WellbeingError, rating_save, share_set, who5_answer


def _given(request: AuthenticatedRequest) -> dict[str, object]:
    return {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "skip")}


@login_required
def index(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The WHO-5 for a member of the hub when it is due, and their own scores.
    Someone who answered in the hub and is no longer its member still sees their
    answers and whom they share them with (never the questions): 404 for
    everyone else."""
    try:
        membership: Membership | None = active_membership(user=request.user, code=code)
    except (MembershipPending, Http404):
        membership = None
    if membership is not None:
        hub = membership.hub
        respondent = Respondent.objects.filter(hub=hub, user=request.user).first()
        due_at = who5_due_at(hub=hub, respondent=respondent)
    else:
        respondent = (
            Respondent.objects.filter(hub__code=code, user=request.user, checkins__isnull=False)
            .select_related("hub")
            .first()
        )
        if respondent is None:
            raise Http404
        hub, due_at = respondent.hub, None
    due = due_at is not None and due_at <= timezone.now()  # never without a membership
    given: dict[str, object] = {}
    error, status = "", 200
    if request.method == "POST":
        if membership is None or not due:
            messages.error(request, _("The Wellbeing Index is not waiting for an answer now."))
            return redirect("wellbeing:index", code=code)
        given = _given(request)
        try:
            who5_answer(membership=membership, data=given)
        except WellbeingError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, _("Thank you: your answers are saved."))
            return redirect("wellbeing:index", code=code)
    checkins = member_checkins(user=request.user, hub=hub)
    latest = checkins[-1] if checkins else None
    return render(
        request,
        "wellbeing/index.html",
        {
            "hub": hub,
            "due": due,
            "next_at": due_at if not due else None,
            "member": membership is not None,
            "stem": WHO5_STEM,
            "questions": [
                {"key": str(n), "text": text, "value": str(given.get(str(n), ""))}
                for n, text in enumerate(WHO5_ITEMS, start=1)
            ],
            "choices": WHO5_CHOICES,
            "error": error,
            "latest": latest,
            "low": latest is not None and latest.raw <= LIKELY_DEPRESSION_AT_MOST,
            "series": who5_series(checkins),
            "shares": shares_of_member(user=request.user),
        },
        status=status,
    )


@login_required
@require_POST
def share(request: AuthenticatedRequest) -> HttpResponse:
    """The member shares (or stops sharing) their index with a professional."""
    try:
        professional = Professional.objects.select_related("user").get(
            code=request.POST.get("professional", "")
        )
    except Professional.DoesNotExist:
        raise Http404 from None
    shared = request.POST.get("shared") == "1"
    try:
        share_set(user=request.user, professional=professional, shared=shared)
    except WellbeingError:
        raise Http404 from None
    name = professional.user.name
    if shared:
        messages.success(request, _("%(name)s now sees your wellbeing index.") % {"name": name})
    else:
        messages.success(
            request, _("%(name)s no longer sees your wellbeing index.") % {"name": name}
        )
    # Back to the hub's page it came from: looked up, so a crafted value goes Home.
    back = Hub.objects.filter(code=request.POST.get("hub", "")).values_list("code", flat=True)
    hub_code = back.first()
    return redirect("wellbeing:index", code=hub_code) if hub_code else redirect("dashboard:home")


@login_required
def rate(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Rate a hub session once it has ended: its client only (404 for anyone
    else), once (answered or put aside)."""
    booking, hub = booking_to_rate(user=request.user, code=code)
    refusal = rating_refusal(booking)
    given: dict[str, object] = {}
    error, status = "", 200
    if request.method == "POST":
        if refusal:
            messages.error(request, refusal)
            return redirect("dashboard:home")
        skip = "skip" in request.POST
        given = _given(request)
        try:
            rating_save(booking=booking, hub=hub, user=request.user, data=None if skip else given)
        except WellbeingError as refused:
            error, status = str(refused), 400
        else:
            if skip:
                messages.success(request, _("We will not ask about this session again."))
            else:
                messages.success(request, _("Thank you for rating the session."))
            return redirect("dashboard:home")
    return render(
        request,
        "wellbeing/rate.html",
        {
            "booking": booking,
            "refusal": refusal,
            "questions": [
                {"key": str(n), "text": text, "value": str(given.get(str(n), ""))}
                for n, text in enumerate(ALLIANCE_ITEMS, start=1)
            ],
            "choices": ALLIANCE_CHOICES,
            "error": error,
        },
        status=status,
    )
