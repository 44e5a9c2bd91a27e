from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    """Outcome measures (issue 30): the PHQ-9 and GAD-7 a professional sends a
    client, the client's answers scored with the published bands, and the scores
    over time for the two of them (and professionals the client shares with).
    Clinical data: never HR. It sits beside intake, just above bookings."""

    name = "tengja.measures"
    verbose_name = _("Outcome measures")
