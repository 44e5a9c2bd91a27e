from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProfessionalsConfig(AppConfig):
    name = "tengja.professionals"
    verbose_name = _("Professionals")
