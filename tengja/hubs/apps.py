from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubsConfig(AppConfig):
    name = "tengja.hubs"
    verbose_name = _("Wellbeing Hubs")

    def ready(self) -> None:
        from tengja.bookings.events import subscribe
        from tengja.hubs.services import on_booking_event

        subscribe(on_booking_event)
