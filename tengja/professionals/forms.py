import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from tengja.lib.money import money_to_major, money_to_minor
from tengja.professionals.models import (
    ADDRESS_MAX_LENGTH,
    MAX_BOOKABLE_DAYS,
    MAX_NOTICE_HOURS,
    AvailabilityException,
    Professional,
    SessionType,
    WeeklyAvailability,
)

# An address is a street, a postcode and town, perhaps a floor or a door code.
ADDRESS_MAX_LINES = 5


class SessionTypeForm(forms.ModelForm):
    """Price is entered in the currency's main unit (krónur, euros) and stored in minor units."""

    # A million in the currency's main unit: far above any session, far below
    # what the database's integer holds in minor units (2,147,483,647).
    price = forms.DecimalField(
        label=_("Price"),
        min_value=Decimal(0),
        max_value=Decimal(1_000_000),
        max_digits=10,
        decimal_places=2,
    )
    # Its length is checked once its line ends are one character each (a browser
    # sends two), by clean_address.
    address = forms.CharField(
        label=_("Address"),
        required=False,
        help_text=_(
            "For on-site sessions: where you meet, as your clients will read it in e-mails "
            "and their calendars. Sessions already booked keep the address they were booked with."
        ),
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": ADDRESS_MAX_LENGTH, "autocomplete": "street-address"}
        ),
    )

    class Meta:
        model = SessionType
        fields = [
            *("name", "duration_minutes", "currency", "mode", "address"),
            "cancellation_notice_hours",
            *("booking_mode", "existing_clients_only"),
        ]
        labels = {
            "name": _("Name"),
            "duration_minutes": _("Duration (minutes)"),
            "currency": _("Currency"),
            "mode": _("Where"),
            "cancellation_notice_hours": _("Cancellation notice"),
            "booking_mode": _("On your booking page"),
            "existing_clients_only": _("Existing clients only"),
        }
        help_texts = {
            "mode": _(
                "A video session has its call on Tengja; an on-site one meets at the address."
            ),
            "cancellation_notice_hours": _(
                "A client who cancels later than this still pays for the session."
            ),
            "booking_mode": _(
                "Bookable at once: a client books a free time straight away. By request: "
                "they ask for a time, and you accept or decline."
            ),
            "existing_clients_only": _(
                "Only clients who have had or booked a session with you may book it on your page."
            ),
        }
        widgets = {
            "duration_minutes": forms.NumberInput(attrs={"min": 5, "max": 480}),
            "booking_mode": forms.RadioSelect,
        }

    field_order = ["name", "duration_minutes", "price", "currency", "mode", "address"]

    def __init__(self, *args, professional: Professional, **kwargs) -> None:
        self.professional = professional
        super().__init__(*args, **kwargs)
        # A form sent without it (an older page) leaves the booking page's mode as it is.
        self.fields["booking_mode"].required = False
        if self.instance.pk:
            self.initial["price"] = money_to_major(
                self.instance.price_amount, self.instance.currency
            )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        taken = SessionType.objects.filter(professional=self.professional, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("You already have a session type with this name."))
        return name

    def clean_duration_minutes(self) -> int:
        minutes = self.cleaned_data["duration_minutes"]
        if not 5 <= minutes <= 480:
            raise ValidationError(_("Choose a duration between 5 and 480 minutes."))
        return minutes

    def clean_address(self) -> str:
        """One address in a few lines, each trimmed, blank lines dropped; no
        control characters (they would break the e-mails and calendar files)."""
        raw = self.cleaned_data.get("address") or ""
        lines = [" ".join(line.split()) for line in raw.replace("\r\n", "\n").split("\n")]
        address = "\n".join(line for line in lines if line)
        if any((ord(char) < 32 and char != "\n") or ord(char) == 127 for char in address):
            raise ValidationError(
                _("Write the address in plain letters, without special characters.")
            )
        if address.count("\n") >= ADDRESS_MAX_LINES:
            raise ValidationError(
                _("Write the address in at most %(lines)s lines.") % {"lines": ADDRESS_MAX_LINES}
            )
        if len(address) > ADDRESS_MAX_LENGTH:
            raise ValidationError(
                _("Write the address in at most %(count)s characters.")
                % {"count": ADDRESS_MAX_LENGTH}
            )
        return address

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        if cleaned.get("mode") == SessionType.Mode.IN_PERSON:
            if not cleaned.get("address") and "address" not in self.errors:
                self.add_error("address", _("Give the address where on-site sessions take place."))
        else:
            cleaned["address"] = ""  # a video session meets in its call, nowhere else
        price, currency = cleaned.get("price"), cleaned.get("currency")
        if price is not None and currency:
            try:
                self.instance.price_amount = money_to_minor(price, currency)
                cleaned["price_amount"] = self.instance.price_amount
            except ValueError:
                self.add_error(
                    "price",
                    _("%(currency)s has no smaller unit than this.") % {"currency": currency},
                )
        self.instance.professional = self.professional
        return cleaned


class ProfessionalProfileForm(forms.ModelForm):
    class Meta:
        model = Professional
        fields = [
            *("title", "bio", "contact_email", "languages", "specialties"),
            *("policy_en", "policy_is"),
        ]
        labels = {
            "title": _("Title"),
            "bio": _("Short bio"),
            "contact_email": _("Contact e-mail"),
            "languages": _("Languages"),
            "specialties": _("Specialties"),
            "policy_en": _("Your terms and cancellation policy, in English"),
            "policy_is": _("Your terms and cancellation policy, in Icelandic"),
        }
        help_texts = {
            "contact_email": _(
                "Shown on your public page, so that clients can reach you, for example "
                "to arrange another time. Leave it empty to share none."
            ),
            "policy_en": _(
                "Shown to a client before they book or accept your invitation, on each "
                "session page and before they cancel late. For example: Cancelling less "
                "than 24 hours before costs the full price."
            ),
            "policy_is": _(
                "Clients who read Tengja in Icelandic see this; if you leave one of the "
                "two empty, they see the other."
            ),
        }
        widgets = {
            "policy_en": forms.Textarea(attrs={"rows": 4}),
            "policy_is": forms.Textarea(attrs={"rows": 4}),
            "bio": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            "languages": forms.CheckboxSelectMultiple,
            "specialties": forms.CheckboxSelectMultiple,
        }


class WeeklyWindowForm(forms.ModelForm):
    # The days themselves, Monday first: no empty "---------" choice to pick by mistake.
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        choices=WeeklyAvailability._meta.get_field("weekday").choices or (),
        coerce=int,
    )

    class Meta:
        model = WeeklyAvailability
        fields = ["weekday", "starts", "ends"]
        labels = {"starts": _("From"), "ends": _("Until")}
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        if cleaned.get("starts") and cleaned.get("ends") and cleaned["starts"] >= cleaned["ends"]:
            # On the field, which marks it invalid and leaves the model's own check
            # (availability_order) out of validation: this says it better.
            self.add_error("ends", _("The end must come after the start."))
        return cleaned


class ExceptionForm(forms.ModelForm):
    """Extra hours on one date (time off has its own form, TimeOffForm)."""

    class Meta:
        model = AvailabilityException
        fields = ["date", "starts", "ends"]
        labels = {"date": _("Date"), "starts": _("From"), "ends": _("Until")}
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if not starts or not ends or starts >= ends:
            raise ValidationError(_("Extra hours need a start and a later end."))
        cleaned["kind"] = AvailabilityException.Kind.EXTRA
        return cleaned


# Time off is for the days Tengja books: not years back, nor beyond its horizon.
TIME_OFF_PAST = timedelta(days=366)
TIME_OFF_AHEAD = timedelta(days=3 * 366)


class TimeOffForm(forms.ModelForm):
    """Time off: whole days (no times), or hours, once or every week."""

    class Meta:
        model = AvailabilityException
        fields = ["date", "starts", "ends_on", "ends", "label", "repeats_weekly", "repeat_until"]
        labels = {
            "date": _("First day"),
            "starts": _("From"),
            "ends_on": _("Last day"),
            "ends": _("Until"),
            "label": _("Label"),
            "repeats_weekly": _("Every week"),
            "repeat_until": _("Repeat until"),
        }
        help_texts = {
            "starts": _("Leave the times empty for whole days."),
            "ends_on": _("Leave empty for one day."),
            "label": _("Only you see it, for example Holiday."),
            "repeat_until": _("The last date it starts on. Leave empty to repeat with no end."),
        }
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "repeat_until": forms.DateInput(attrs={"type": "date"}),
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, today: date, **kwargs) -> None:
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns cleaned_data
        first = cleaned.get("date")
        if first is None:
            return cleaned
        for field in ("date", "ends_on", "repeat_until"):
            day = cleaned.get(field)
            if day and not self.today - TIME_OFF_PAST <= day <= self.today + TIME_OFF_AHEAD:
                self.add_error(field, _("Choose a date within the next three years."))
                return cleaned
        cleaned["label"] = " ".join(cleaned.get("label", "").split())
        block = AvailabilityException(
            date=first,
            starts=cleaned.get("starts"),
            ends_on=cleaned.get("ends_on"),
            ends=cleaned.get("ends"),
        )
        start, end = block.span
        if end <= start:
            self.add_error("ends", _("The end must come after the start."))
        elif end <= datetime.combine(self.today, time.min):
            self.add_error("date", _("This time off is over. Choose a date from today on."))
        elif cleaned.get("repeats_weekly"):
            if end - start >= timedelta(days=7):
                self.add_error("ends_on", _("Time off every week must be shorter than a week."))
            until = cleaned.get("repeat_until")
            if until and until < first:
                self.add_error("repeat_until", _("Repeat until a date after the first day."))
        else:
            cleaned["repeat_until"] = None  # it only means something for every week
        cleaned["kind"] = AvailabilityException.Kind.OFF
        return cleaned


class CalendarRulesForm(forms.ModelForm):
    class Meta:
        model = Professional
        fields = ["bookable_days", "min_notice_hours", "buffer_minutes", "slot_interval_minutes"]
        labels = {
            "bookable_days": _("Bookable period (days)"),
            "min_notice_hours": _("Minimum notice (hours)"),
            "buffer_minutes": _("Buffer between sessions"),
            "slot_interval_minutes": _("Start times"),
        }
        help_texts = {
            "bookable_days": _(
                "How far ahead clients may book. Leave empty for no limit (up to two years)."
            ),
            "min_notice_hours": _(
                "How long before a start clients may still book it or move a session to it."
            ),
            "buffer_minutes": _("Free time kept before and after each session."),
            "slot_interval_minutes": _(
                "How often a session may start, from the start of your hours."
            ),
        }
        widgets = {
            "bookable_days": forms.NumberInput(attrs={"min": 1, "max": MAX_BOOKABLE_DAYS}),
            "min_notice_hours": forms.NumberInput(attrs={"min": 0, "max": MAX_NOTICE_HOURS}),
        }

    def clean_bookable_days(self) -> int | None:
        days = self.cleaned_data["bookable_days"]
        if days is not None and not 1 <= days <= MAX_BOOKABLE_DAYS:
            raise ValidationError(
                _("Choose between 1 and %(max)s days, or leave it empty.")
                % {"max": MAX_BOOKABLE_DAYS}
            )
        return days

    def clean_min_notice_hours(self) -> int:
        hours = self.cleaned_data["min_notice_hours"]
        if not 0 <= hours <= MAX_NOTICE_HOURS:
            raise ValidationError(
                _("Choose between 0 and %(max)s hours.") % {"max": MAX_NOTICE_HOURS}
            )
        return hours


class BusinessDetailsForm(forms.ModelForm):
    """Printed on the invoices the professional issues."""

    class Meta:
        model = Professional
        fields = ["business_name", "business_address", "business_id", "vat_number"]
        labels = {
            "business_name": _("Name on invoices"),
            "business_address": _("Address"),
            "business_id": _("ID number (kennitala)"),
            "vat_number": _("VAT number"),
        }
        help_texts = {
            "business_name": _("Your own name, or your practice's. Leave empty to use your name."),
            "vat_number": _("Only if you are registered for VAT."),
        }
        widgets = {"business_address": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}


class ProfessionalInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send a link there; it works once, for 7 days."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language of the e-mail"),
        choices=settings.LANGUAGES,
        help_text=_("They can change it later in their profile."),
    )


# Words a booking page address may not be: the pages under /book/ itself, and
# names that would read as Tengja's own.
RESERVED_SLUGS = frozenset(
    {
        *("admin", "api", "book", "booking", "bookings", "check-email", "confirm", "sent"),
        *("help", "hubs", "login", "logout", "new", "practice", "privacy", "professionals"),
        *("sessions", "settings", "signup", "staff", "static", "support", "tengja", "terms"),
    }
)
SLUG_MIN, SLUG_MAX = 3, 40
# Letters slugify's decomposition drops rather than simplifies (Icelandic's among them).
SLUG_LETTERS = str.maketrans({"ð": "d", "þ": "th", "æ": "ae", "ø": "o", "ß": "ss", "đ": "d"})


def booking_slug_suggest(name: str, *, exclude: Professional | None = None) -> str:
    """A free address made from a name ("Anna Jónsdóttir" -> "anna-jonsdottir"),
    with a number after it when that one is taken or reserved."""
    base = slugify(name.lower().translate(SLUG_LETTERS))[:SLUG_MAX].strip("-") or "booking"
    if len(base) < SLUG_MIN:
        base = f"{base}-book"
    taken = Professional.objects.filter(booking_slug__startswith=base)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    used = set(taken.values_list("booking_slug", flat=True)) | RESERVED_SLUGS
    candidate, number = base, 1
    while candidate in used:
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)] + suffix
    return candidate


class BookingPageForm(forms.ModelForm):
    class Meta:
        model = Professional
        fields = [
            *("booking_page_on", "booking_slug"),
            *("max_sessions_per_day", "max_sessions_per_week", "same_day_booking"),
        ]
        labels = {
            "booking_page_on": _("Booking page on"),
            "booking_slug": _("Page address"),
            "max_sessions_per_day": _("At most sessions a day"),
            "max_sessions_per_week": _("At most sessions a week"),
            "same_day_booking": _("Clients may book for the same day"),
        }
        help_texts = {
            "booking_page_on": _(
                "Anyone with the address can see your profile, session types and free times, "
                "and book or ask for a time."
            ),
            "booking_slug": _(
                "3 to 40 lower-case letters, digits and hyphens. If you change it, links "
                "to the old address stop working."
            ),
            "max_sessions_per_day": _("Leave empty for no limit. Counts every session that day."),
            "max_sessions_per_week": _("Leave empty for no limit. A week runs Monday to Sunday."),
        }
        widgets = {
            "max_sessions_per_day": forms.NumberInput(attrs={"min": 1, "max": 50}),
            "max_sessions_per_week": forms.NumberInput(attrs={"min": 1, "max": 200}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["booking_slug"].required = True
        if not self.instance.booking_slug:
            self.initial["booking_slug"] = booking_slug_suggest(
                self.instance.user.name, exclude=self.instance
            )

    def clean_booking_slug(self) -> str:
        slug = (self.cleaned_data.get("booking_slug") or "").strip().lower()
        if not SLUG_MIN <= len(slug) <= SLUG_MAX or not re.fullmatch(
            r"[a-z0-9]+(-[a-z0-9]+)*", slug
        ):
            raise ValidationError(
                _(
                    "Use 3 to 40 lower-case letters (a to z), digits and hyphens, "
                    "starting and ending with a letter or digit."
                )
            )
        if slug in RESERVED_SLUGS:
            raise ValidationError(_("That address is reserved. Choose another."))
        if Professional.objects.filter(booking_slug=slug).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("That address is taken. Choose another."))
        return slug

    def _clean_limit(self, name: str, most: int) -> int | None:
        value = self.cleaned_data.get(name)
        if value is not None and not 1 <= value <= most:
            raise ValidationError(
                _("Choose between 1 and %(max)s, or leave it empty.") % {"max": most}
            )
        return value

    def clean_max_sessions_per_day(self) -> int | None:
        return self._clean_limit("max_sessions_per_day", 50)

    def clean_max_sessions_per_week(self) -> int | None:
        return self._clean_limit("max_sessions_per_week", 200)
