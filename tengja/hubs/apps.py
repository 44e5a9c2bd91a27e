from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubsConfig(AppConfig):
    name = "tengja.hubs"
    verbose_name = _("Wellbeing Hubs")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from tengja.hubs.models import Company
        from tengja.hubs.services import company_admins_changed

        # HR admins are named by an operator in the Django admin: their Home shows
        # the hubs they run (tengja.lib.versions.account_of).
        m2m_changed.connect(
            company_admins_changed, sender=Company.admins.through, dispatch_uid="tengja-hr-admins"
        )
