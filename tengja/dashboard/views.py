from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tengja.bookings.selectors import bookings_upcoming_for_user


def home(request: HttpRequest) -> HttpResponse:
    """The client's Home when signed in; a short welcome for visitors."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/welcome.html")
    upcoming = bookings_upcoming_for_user(user=request.user, limit=10)
    return render(request, "dashboard/home.html", {"upcoming": upcoming})
