from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import include, path, re_path
from django.views.static import serve


def health(request: HttpRequest) -> HttpResponse:
    """For load balancers, and the bare baseline of the page benchmark."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("health/", health, name="health"),
    path("", include("tengja.dashboard.urls")),
    path("", include("tengja.bookings.urls")),
    path("", include("tengja.professionals.urls")),
    path("", include("tengja.video.urls")),
    path("", include("tengja.intake.urls")),
    path("", include("tengja.measures.urls")),
    path("", include("tengja.notes.urls")),
    path("", include("tengja.messaging.urls")),
    path("accounts/", include("tengja.accounts.urls")),
    path("payments/", include("tengja.billing.urls")),
    path("notifications/", include("tengja.notifications.urls")),
    path("hubs/", include("tengja.hubs.urls")),
    path("privacy/", include("tengja.privacy.urls")),
    path("dev/mail/", include("tengja.devmail.urls")),
    path("admin/", admin.site.urls),
]


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    # MEDIA_ROOT is read per request, not when the URLs load (tests change it).
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


if settings.SERVE_MEDIA:
    # Development and the embedded default; at scale media lives in object storage.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", media, name="media")]
