from datetime import datetime
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.accounts.forms import InvitedSignUpForm, SignUpForm
from tengja.bookings.models import (
    BOOKING_HORIZON,
    CANCEL_NOTE_MAX,
    REQUEST_MESSAGE_MAX,
    SERIES_MAX,
    Booking,
    BookingSeries,
)
from tengja.professionals.models import Professional, SessionType


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is read in the viewer's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class StartField(forms.DateTimeField):
    widget = LocalDateTimeInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Start"))
        kwargs.setdefault("help_text", _("In your time zone."))
        super().__init__(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)

    def to_python(self, value):
        # Django reads the naive value in the active (the viewer's) time zone and
        # refuses a time a clock change skips or repeats.
        starts_at = super().to_python(value)
        if starts_at is not None:
            try:
                too_far = starts_at - timezone.now() > BOOKING_HORIZON
            except OverflowError:  # year 9999 in a zone behind UTC
                too_far = True
            if too_far:
                raise forms.ValidationError(_("Choose a time within the next two years."))
        return starts_at

    def clean(self, value):
        starts_at = super().clean(value)
        if starts_at is not None and starts_at <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return starts_at


class InviteForm(forms.Form):
    session_type = forms.ModelChoiceField(
        label=_("Session type"), queryset=SessionType.objects.none(), empty_label=None
    )
    starts_at = StartField()
    email = forms.EmailField(
        label=_("Client's email"),
        help_text=_("An existing client or a new address: they get a confirmation e-mail."),
    )

    repeat = forms.ChoiceField(
        label=_("Repeat"),
        choices=[("", _("Does not repeat")), *BookingSeries.Rule.choices],
        required=False,
    )
    ends = forms.ChoiceField(
        label=_("Ends"),
        choices=[("count", _("After a number of sessions")), ("until", _("On a date"))],
        initial="count",
        required=False,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=2,
        max_value=SERIES_MAX,
        initial=6,
        required=False,
    )
    until = forms.DateField(
        label=_("Last date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last session is on or before this date."),
    )

    def __init__(self, *args, professional: Professional, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["session_type"]
        ).queryset = professional.session_types.filter(is_active=True)

    def clean(self):
        data = super().clean() or {}
        if not data.get("repeat"):
            return data
        if data.get("ends") == "until":
            until = data.get("until")
            if until is None:
                self.add_error("until", _("Give the date of the last session."))
            elif data.get("starts_at") and until <= timezone.localtime(data["starts_at"]).date():
                self.add_error("until", _("Choose a date after the first session."))
            data["count"] = None
        else:
            data["ends"] = "count"
            if data.get("count") is None and "count" not in self.errors:
                self.add_error("count", _("Give the number of sessions."))
            data["until"] = None
        return data


class MoveForm(forms.Form):
    starts_at = StartField(label=_("New start"))


class CancelForm(forms.Form):
    """The professional's cancellation: why, a private note, whether the client is
    told, and for a late cancellation or a no-show of a session paid by bill
    whether to charge for it (bookings.services.booking_cancel)."""

    reason = forms.ChoiceField(label=_("Reason"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Private note"),
        required=False,
        max_length=CANCEL_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only you see it: never the client, nor anyone else, nor any e-mail."),
    )
    tell = forms.BooleanField(
        label=_("Tell the client"),
        required=False,
        initial=True,
        help_text=_("They get an e-mail and a notice on Tengja. You get your copy either way."),
    )
    charge = forms.BooleanField(
        label=_("Charge for the session"),
        required=False,
        help_text=_(
            "Only when the client cancelled within the notice period or did not come: the "
            "bill stays payable. Otherwise it is cancelled, or a payment refunded."
        ),
    )

    def __init__(self, *args, booking: Booking, now: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.booking, self.now = booking, now
        reasons = booking.cancel_reasons(now)
        field = cast(forms.ChoiceField, self.fields["reason"])
        field.choices = [(reason.value, reason.label) for reason in reasons]
        if reasons:
            self.fields["reason"].initial = (
                Booking.CancelReason.BY_PROFESSIONAL
                if Booking.CancelReason.BY_PROFESSIONAL in reasons
                else reasons[0]
            )
        # Offered only where some reason may be charged for: never for credits.
        self.can_charge = any(booking.may_charge_for(reason, now) for reason in reasons)
        if not self.can_charge:
            del self.fields["charge"]

    def clean(self):
        data = super().clean() or {}
        reason = data.get("reason")
        if data.get("charge") and reason and not self.booking.may_charge_for(reason, self.now):
            self.add_error(
                "charge",
                _(
                    "You can charge for a session only when the client cancelled within the "
                    "notice period or did not come."
                ),
            )
        return data


class SeriesMoveForm(forms.Form):
    starts_at = StartField(
        label=_("New start of this session"),
        help_text=_("In your time zone. Each following session moves by as much."),
    )


# An invited client signs up with the address the invitation was sent to.
InvitationSignUpForm = InvitedSignUpForm


class RequestDeclineForm(forms.Form):
    """The professional's answer "no" to a session request, with a reason the client reads."""

    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=REQUEST_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The client reads it in their e-mail and on Tengja."),
    )


class PageRequestForm(forms.Form):
    """The optional message of a request made on a booking page."""

    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=REQUEST_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you would like to talk about, or anything the professional should know."),
    )


class PageSignUpForm(SignUpForm):
    """A visitor's account, made on a booking page on the way to a time.

    The time zone is the one the page shows (the visitor chose or the browser
    said). A taken address is not an error here: the visitor is told to check
    their e-mail either way, and the address is sent a note to sign in (no one
    learns from this form whether an address has an account). `website` is a
    honeypot: hidden from people and screen readers, filled only by bots."""

    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    message = PageRequestForm.base_fields["message"]

    def __init__(self, *args, by_request: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["time_zone"]
        if not by_request:
            del self.fields["message"]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())
