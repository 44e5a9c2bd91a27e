from html import escape
from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tengja.accounts.middleware import TIME_ZONE_COOKIE, request_time_zone
from tengja.accounts.models import User, time_zone_names
from tengja.accounts.services import password_reset_request
from tengja.accounts.zones import (
    aliases,
    best_names,
    canonical_zone,
    search_names,
    time_zone_choices,
)
from tengja.lib.images import picture_reencode
from tengja.lib.limits import email_allowed


def email_is_taken(email: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(email=email.lower())
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


class ZoneSelect(forms.Select):
    """A select whose options also carry what the search finds them by (the names
    people use: "Eastern", "EST", "CET") and the names they are chosen for.

    Its 400-odd options are written here rather than each by a template of its own
    (Select's way, ~25 ms a form): the same markup, a hundredth of the time."""

    template_name = "forms/zone_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # As select.html, select_option.html and attrs.html write them, each value
        # escaped (html.escape is what django.utils.html.escape calls).
        parts = []
        for group_name, options, _index in context["widget"]["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(str(group_name))}">')
            for option in options:
                flat = "".join(
                    f" {key}" if value is True else f' {key}="{escape(str(value))}"'
                    for key, value in option["attrs"].items()
                    if value is not False
                )
                parts.append(
                    f'\n  <option value="{escape(str(option["value"]))}"{flat}>'
                    f"{escape(str(option['label']))}</option>"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        context["widget"]["options_html"] = mark_safe("".join(parts))  # noqa: S308 - each value escaped
        return context

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        language = translation.get_language() or "en"
        if names := search_names(str(value), language=language):
            option["attrs"]["data-names"] = names
        if folded := aliases(str(value)):
            option["attrs"]["data-aliases"] = folded
        if best := best_names(str(value)):
            option["attrs"]["data-best"] = best
        return option


class TimeZoneField(forms.ChoiceField):
    """The common zones, grouped by region with their offsets (tengja.accounts.zones),
    searchable by a small script (static/js/zones.js) that leaves a plain select
    where it does not run. Any zone name Python knows is accepted, and an alias
    is stored as its canonical name."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Time zone"))
        # Place names are names: marked so that nothing (a browser, a check) translates them.
        kwargs.setdefault(
            "widget",
            ZoneSelect(
                attrs={
                    "translate": "no",
                    "data-zone-picker": "",
                    "data-search-label": _("Search for your city or country"),
                    "data-none": _(
                        "No time zone matches. The list shows them all, and your choice "
                        "is as it was."
                    ),
                    "data-one": _("%s time zone matches."),
                    "data-many": _("%s time zones match."),
                }
            ),
        )
        super().__init__(choices=time_zone_choices, **kwargs)

    def show(self, value: str | None) -> None:
        """Offer the current value too, should it not be on the list."""
        self.choices = time_zone_choices(extra=value)

    def valid_value(self, value: str) -> bool:
        return value in time_zone_names()

    def clean(self, value):
        return canonical_zone(super().clean(value))


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "That email and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is inactive."),
    }


class SignUpForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only numbers, and not a common password."),
    )
    time_zone = TimeZoneField(
        required=False,  # a form sent without it gets the browser's (see clean_time_zone)
        help_text=_("Your browser's, as far as we can tell. Your sessions are shown in it."),
    )
    accept_terms = forms.BooleanField(
        required=True,
        error_messages={"required": _("To create an account, agree to the Terms & Conditions.")},
    )

    def __init__(
        self, *args, time_zone: str | None = None, time_zone_known: bool = True, **kwargs
    ) -> None:
        """`time_zone` is the browser's (from the cookie static/js/app.js sets); on a
        first visit there is none yet, and the script picks the browser's zone in
        the list instead (`time_zone_known` False)."""
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, TimeZoneField)
        if time_zone:
            self.initial.setdefault("time_zone", canonical_zone(time_zone))
            field.show(self.initial["time_zone"])
        if not time_zone_known:
            field.widget.attrs["data-detect"] = ""
        self.fields["accept_terms"].label = mark_safe(  # noqa: S308 - our own fixed text and URL
            _('I have read and agree to the <a href="%(url)s">Terms &amp; Conditions</a>')
            % {"url": reverse("accounts:terms")}
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter your name."))
        return name

    def clean_time_zone(self) -> str:
        return (
            self.cleaned_data.get("time_zone")
            or self.initial.get("time_zone")
            or (settings.TIME_ZONE)
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if email_is_taken(email):
            raise ValidationError(
                _("An account with this email already exists. Sign in, or reset your password.")
            )
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a Form's clean() returns cleaned_data
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


def signup_time_zone(request) -> dict:
    """The sign-up forms' zone arguments: the browser's, and whether it is known."""
    return {
        "time_zone": request_time_zone(request),
        "time_zone_known": TIME_ZONE_COOKIE in request.COOKIES,
    }


class InvitedSignUpForm(SignUpForm):
    """Sign-up through an invitation: the address is the invited one and cannot change."""

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.invited_email = email
        del self.fields["email"]

    def clean(self) -> dict:
        self.cleaned_data["email"] = self.invited_email
        return super().clean()


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form; the e-mail is made and sent by a task (see the service)."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def save(self, *args, request: HttpRequest | None = None, **kwargs) -> None:
        assert request is not None  # PasswordResetView passes it
        # Over the limit the answer is the same (the view always redirects to
        # "check your email"); only no e-mail goes out.
        if email_allowed(request=request, address=self.cleaned_data["email"]):
            password_reset_request(email=self.cleaned_data["email"])


class ProfileForm(forms.ModelForm):
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = ["name", "language", "time_zone"]
        labels = {"name": _("Name"), "language": _("Language")}
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(TimeZoneField, self.fields["time_zone"]).show(self.instance.time_zone)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter your name."))
        return name


class PictureForm(forms.Form):
    picture = forms.FileField(
        label=_("New picture"),
        help_text=_("JPEG, PNG, GIF or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )

    def clean_picture(self):
        return picture_reencode(self.cleaned_data["picture"])


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(
        label=_("New email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_email(self) -> str:
        email = self.cleaned_data["new_email"].lower()
        if email == self.user.email.lower():
            raise ValidationError(_("This is already your email."))
        if email_is_taken(email, exclude=self.user):
            raise ValidationError(_("Another account already uses this email."))
        return email

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password was entered incorrectly."))
        return password


class PasswordConfirmForm(forms.Form):
    """A change that needs the person's password, whoever holds the session."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Your current password was entered incorrectly."))
        return password


def _digits(value: str) -> str:
    return "".join(value.split())


class TwoFactorEnableForm(PasswordConfirmForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("The six digits the app shows for Tengja."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    field_order = ["code", "current_password"]

    def clean_code(self) -> str:
        code = _digits(self.cleaned_data["code"])
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(_("Type the six digits the app shows."))
        return code


class SignInCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        return _digits(code) if _digits(code).isdigit() else code
