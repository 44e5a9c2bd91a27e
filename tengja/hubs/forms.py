import re
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tengja.accounts.forms import TimeZoneField
from tengja.hubs.models import Hub
from tengja.professionals.models import SessionType


class JoinForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work e-mail"),
        max_length=254,
        help_text=_("We send a link there to confirm it is yours before your credits arrive."),
    )


class HubSettingsForm(forms.ModelForm):
    class Meta:
        model = Hub
        fields = [
            "welcome_text",
            "credits_per_period",
            "period_months",
            "credits_per_session",
            "time_zone",
            "wellbeing_every_weeks",
        ]
        labels = {
            "welcome_text": _("Welcome text"),
            "credits_per_period": _("Credits per member per period"),
            "period_months": _("Period (months)"),
            "credits_per_session": _("Credits per session"),
        }
        help_texts = {
            "credits_per_session": _("The same for every professional, so usage never says whom."),
        }
        widgets = {"welcome_text": forms.Textarea(attrs={"rows": 4})}

    # The hub's months (usage) begin and end in this zone, whoever looks.
    time_zone = TimeZoneField(
        label=_("Time zone of the hub's months"),
        help_text=_(
            "Usage is counted by months in this time zone, the same for everyone. "
            "A change applies from the next month."
        ),
        required=False,  # a form sent without it keeps the hub's
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(TimeZoneField, self.fields["time_zone"]).show(self.instance.time_zone)

    def clean_time_zone(self) -> str:
        return self.cleaned_data.get("time_zone") or self.instance.time_zone

    wellbeing_every_weeks = forms.TypedChoiceField(
        label=_("Wellbeing Index every"),
        choices=[(2, _("2 weeks")), (3, _("3 weeks")), (0, _("Off"))],
        coerce=int,
        required=False,  # a form sent without it keeps the hub's
        help_text=_(
            "How often members are asked to answer the WHO-5 Wellbeing Index. "
            "You see only totals of ended months, never anyone's answers."
        ),
    )

    def clean_wellbeing_every_weeks(self) -> int:
        value = self.cleaned_data.get("wellbeing_every_weeks")
        if value is None or value == "":
            return self.instance.wellbeing_every_weeks
        return int(value)

    welcome_text = forms.CharField(
        label=_("Welcome text"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_period_months(self) -> int:
        months = self.cleaned_data["period_months"]
        if not 1 <= months <= 36:
            raise forms.ValidationError(_("Choose a period of 1 to 36 months."))
        return months

    def clean_credits_per_session(self) -> int:
        credits = self.cleaned_data["credits_per_session"]
        if not 1 <= credits <= 20:
            raise forms.ValidationError(_("Choose 1 to 20 credits."))
        return credits


class DomainForm(forms.Form):
    domain = forms.RegexField(
        label=_("E-mail domain"),
        regex=re.compile(r"^@?[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE),
        max_length=253,
        error_messages={"invalid": _("Enter a domain like example.com.")},
    )


class InviteAddressForm(forms.Form):
    email = forms.EmailField(label=_("Invite an address"), max_length=254)


class RemoveMemberForm(forms.Form):
    email = forms.EmailField(label=_("Remove a member (by e-mail)"), max_length=254)


class OfferForm(forms.Form):
    professional_email = forms.EmailField(
        label=_("Professional's e-mail"),
        max_length=254,
        help_text=_("They are asked to accept, and choose the session type members book."),
    )


class OfferAnswerForm(forms.Form):
    """The professional's answer to a hub that asked to offer them."""

    session_type: "forms.ModelChoiceField[SessionType]" = forms.ModelChoiceField(
        label=_("Session type members book"), queryset=None, empty_label=None
    )

    def __init__(self, *args, professional, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["session_type"]
        ).queryset = professional.session_types.filter(is_active=True)


class CreditRequestForm(forms.Form):
    credits = forms.IntegerField(label=_("Credits"), min_value=1, max_value=50, initial=2)


class HubFindForm(forms.Form):
    """A hub's link as HR sent it (or just its code), to open the hub."""

    link = forms.CharField(
        label=_("Your hub's link"),
        max_length=500,
        help_text=_("Paste the link your HR or engagement team sent you."),
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )

    def clean_link(self) -> str:
        """The hub's code: the part after /hubs/ in a link, or the text itself."""
        text = self.cleaned_data["link"].strip()
        found = re.search(r"/hubs/([A-Za-z0-9_-]{1,16})(?:/|$|\?|#)", text)
        code = found.group(1) if found else text.strip("/")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", code):
            raise forms.ValidationError(_("That is not a hub's link. Check it and try again."))
        return code
