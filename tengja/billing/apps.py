from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "tengja.billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from tengja.billing import checks  # noqa: F401 - registers the deploy check
