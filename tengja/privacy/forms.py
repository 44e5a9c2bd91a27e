from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tengja.accounts.forms import PasswordConfirmForm
from tengja.accounts.models import User
from tengja.accounts.selectors import two_factor_enabled
from tengja.accounts.services import sign_in_code_check


class AccountDeleteForm(PasswordConfirmForm):
    """The password, the second step if it is on, and a plain yes."""

    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my data are erased for good."),
        error_messages={"required": _("Tick the box to confirm that you want this.")},
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        if not two_factor_enabled(user=user):
            del self.fields["code"]

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a Form's clean() returns cleaned_data
        # The code is checked last, once all else is right: checking uses it up.
        if "code" in self.fields and not self.errors:
            code = "".join(cleaned.get("code", "").split())
            if sign_in_code_check(user=self.user, code=code) is None:
                self.add_error("code", ValidationError(_("That code is not right.")))
        return cleaned
