from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "tengja.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from tengja.bookings.events import subscribe
        from tengja.notifications.services import on_booking_event

        subscribe(on_booking_event)
