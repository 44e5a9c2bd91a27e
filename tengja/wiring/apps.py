from django.apps import AppConfig


class WiringConfig(AppConfig):
    name = "tengja.wiring"
    verbose_name = "Wiring"

    def ready(self) -> None:
        # Imported here, not at the top: the services import models, which
        # exist only once every app is loaded.
        from tengja.billing import events as billing_events
        from tengja.bookings import events as booking_events
        from tengja.bookings import gates
        from tengja.measures import events as measure_events
        from tengja.wiring import subscribers

        booking_events.subscribe(*subscribers.BOOKING_SUBSCRIBERS)
        booking_events.subscribe_requests(*subscribers.REQUEST_SUBSCRIBERS)
        gates.register(*subscribers.JOIN_CHECKS)
        measure_events.subscribe(*subscribers.MEASURE_SUBSCRIBERS)
        billing_events.subscribe(*subscribers.BILLING_SUBSCRIBERS)
