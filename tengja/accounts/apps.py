from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tengja.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from tengja.accounts.lockout import sign_in_failure_counted

        # Every failed sign-in (a wrong password, or a wrong code in the second
        # step) also counts against the client's address.
        user_login_failed.connect(sign_in_failure_counted, dispatch_uid="tengja-sign-in-ip")
