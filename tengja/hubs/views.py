from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tengja.hubs.models import Hub


def hub(request: HttpRequest, code: str) -> HttpResponse:
    """A Wellbeing Hub's public page: the link HR hands to employees."""
    hub = get_object_or_404(Hub.objects.select_related("company"), code=code)
    return render(request, "hubs/hub.html", {"hub": hub})
