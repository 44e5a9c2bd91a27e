"""The pages of session requests: the professional's Requests (accept, decline)
and the client's own (see, withdraw). Each request is reached by its code, by
its professional or its client only (404 for anyone else)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings import requests as services
from tengja.bookings.forms import RequestDeclineForm
from tengja.bookings.request_selectors import (
    request_for_client,
    request_for_professional,
    requests_answered_for_professional,
    requests_for_client,
    requests_open_for_professional,
)
from tengja.bookings.services import BookingError
from tengja.professionals.selectors import professional_for_user


@login_required
def practice_requests(request: AuthenticatedRequest) -> HttpResponse:
    """The professional's Requests: the open ones (soonest first, each with
    whether its time is still free), then the last ones answered."""
    professional = professional_for_user(user=request.user)
    return render(
        request,
        "bookings/requests.html",
        {
            "professional": professional,
            "open_requests": requests_open_for_professional(professional=professional),
            "answered": requests_answered_for_professional(professional=professional),
            "decline_form": RequestDeclineForm(),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def request_accept(request: AuthenticatedRequest, code: str) -> HttpResponse:
    booking_request = request_for_professional(user=request.user, code=code)
    try:
        services.request_accept(booking_request=booking_request)
    except BookingError as error:
        messages.error(request, str(error))
        return redirect("bookings:requests")
    messages.success(
        request,
        _("Accepted: the session with %(name)s is booked and they have been told.")
        % {"name": booking_request.client.display_name},
    )
    return redirect("bookings:requests")


@login_required
@require_POST
def request_decline(request: AuthenticatedRequest, code: str) -> HttpResponse:
    booking_request = request_for_professional(user=request.user, code=code)
    form = RequestDeclineForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(str(error) for errors in form.errors.values() for error in errors)
        )
        return redirect("bookings:requests")
    try:
        services.request_decline(
            booking_request=booking_request, reason=form.cleaned_data["reason"]
        )
    except BookingError as error:
        messages.error(request, str(error))
        return redirect("bookings:requests")
    messages.success(
        request,
        _("Declined: %(name)s has been told.") % {"name": booking_request.client.display_name},
    )
    return redirect("bookings:requests")


@login_required
def my_requests(request: AuthenticatedRequest) -> HttpResponse:
    """All the client's requests, latest first."""
    return render(
        request,
        "bookings/my_requests.html",
        {"requests": requests_for_client(user=request.user)[:200], "now": timezone.now()},
    )


@login_required
def request_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return render(
        request,
        "bookings/request_detail.html",
        {
            "booking_request": request_for_client(user=request.user, code=code),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def request_withdraw(request: AuthenticatedRequest, code: str) -> HttpResponse:
    booking_request = request_for_client(user=request.user, code=code)
    try:
        services.request_withdraw(booking_request=booking_request)
    except BookingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your request has been withdrawn."))
    return redirect("bookings:request", code=code)
