from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """What a professional needs from a client before their first session: the
    client details they require, and the intake forms and consent they send. It
    sits just above bookings: the session's Join button and call ask it (through
    tengja.bookings.gates, wired in tengja.wiring) whether the call may start."""

    name = "tengja.intake"
    verbose_name = _("Intake")
