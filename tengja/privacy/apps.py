from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """What a person can do with the data Tengja holds about them: download all of
    it, or have it erased. It reads and writes every other app's rows, so it sits
    at the top: nothing depends on it."""

    name = "tengja.privacy"
    verbose_name = _("Privacy")
