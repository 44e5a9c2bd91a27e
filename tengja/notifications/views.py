from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings.selectors import booking_for_user
from tengja.lib.http import safe_next
from tengja.measures.selectors import due_for
from tengja.messaging import preferences as message_preferences
from tengja.notifications import services
from tengja.notifications.feed import feed_revoke, feed_token_for, feed_user, preferences_for
from tengja.notifications.ics import booking_calendar_file, calendar_for
from tengja.notifications.selectors import feed_bookings, notification_for_user, notifications_for


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(notifications_for(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Mark it read and go to what it is about."""
    notification = notification_for_user(user=request.user, code=code)
    if notification is None:
        raise Http404
    services.notifications_mark_read(user=request.user, code=code)
    measure = notification.measure_request
    if measure is not None:
        if measure.client_id != request.user.pk:  # the professional's: the client's page
            return redirect("dashboard:practice_client", code=measure.client.code)
        if due_for(request=measure) is not None:
            return redirect("measures:answer", code=measure.code)
        return redirect("measures:mine")  # answered, or stopped: the client's scores
    if notification.invoice is not None:
        return redirect("billing:invoice", code=notification.invoice.code)
    if notification.booking is not None:
        return redirect("bookings:detail", code=notification.booking.code)
    if notification.booking_request is not None:
        if notification.booking_request.client_id == request.user.pk:
            return redirect("bookings:request", code=notification.booking_request.code)
        return redirect("bookings:requests")
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: AuthenticatedRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect(safe_next(request, reverse("notifications:list")))


@login_required
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Which e-mails to get (session reminders; the unread message e-mail), and
    the private calendar feed's address."""
    if request.method == "POST":
        services.preferences_update(
            user=request.user, email_reminders=request.POST.get("email_reminders") == "on"
        )
        message_preferences.email_unread_set(
            user=request.user, email_unread=request.POST.get("email_unread") == "on"
        )
        messages.success(request, _("Your e-mail settings have been saved."))
        return redirect("notifications:settings")
    feed_path = reverse(
        "notifications:feed",
        kwargs={"user_id": request.user.pk, "token": feed_token_for(user=request.user)},
    )
    return render(
        request,
        "notifications/settings.html",
        {
            "preferences": preferences_for(user=request.user),
            "email_unread": message_preferences.email_unread_wanted(user=request.user),
            "feed_url": request.build_absolute_uri(feed_path),
        },
    )


@login_required
@require_POST
def feed_address_renew(request: AuthenticatedRequest) -> HttpResponse:
    feed_revoke(user=request.user)
    messages.success(request, _("Your calendar address has changed; the old one no longer works."))
    return redirect("notifications:settings")


def feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    """The private calendar feed: sessions from 90 days back onwards."""
    user = feed_user(user_id=user_id, token=token)
    if user is None:
        raise Http404
    bookings = feed_bookings(user=user, since=timezone.now() - timedelta(days=90))
    body = calendar_for(bookings, viewer=user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tengja.ics"'
    # A person's sessions: kept by no proxy, nor on the disk of a browser that
    # opened the address. (Calendar apps poll on their own schedule, not HTTP's.)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def booking_calendar(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """One session as a calendar file, for its client or professional (else 404)."""
    booking = booking_for_user(user=request.user, code=code)
    body = booking_calendar_file(booking, viewer=request.user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    name = f"tengja-{booking.starts_at:%Y-%m-%d}-{booking.code}.ics"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
