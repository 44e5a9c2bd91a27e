"""Required client details (issue 29): what a professional asks every client
to give before their next session, the client's form, the join gate and the
reminder e-mail.

The values are the client's personal data given to one professional: they are
read here only for that professional's pages and for the client's own form,
never for a list anyone else sees, and never put in an e-mail.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tengja.accounts.models import User
from tengja.bookings.models import Booking, BookingRequest
from tengja.intake.models import ClientDetails, Detail
from tengja.lib.emails import email_send
from tengja.professionals.models import Professional

# Each Detail is the ClientDetails field of the same name.
FIELDS: tuple[str, ...] = tuple(Detail.values)
# Clients with a session this soon are reminded by e-mail, once a day at most.
REMIND_AHEAD = timedelta(days=3)
REMIND_EVERY = timedelta(days=1)
REMIND_BATCH = 500


def required_of(professional: Professional) -> list[str]:
    """The professional's required details, known ones only, in Detail's order
    (the JSON list could hold a value a later version dropped)."""
    wanted = set(professional.required_details or ())
    return [name for name in FIELDS if name in wanted]


def is_given(details: ClientDetails | None, name: str) -> bool:
    if details is None:
        return False
    value = getattr(details, name)
    return value is not None and value != ""


def missing_of(professional: Professional, details: ClientDetails | None) -> list[str]:
    """The required details the client has not given yet."""
    return [name for name in required_of(professional) if not is_given(details, name)]


def labels(names: Iterable[str]) -> list[Promise]:
    return [Detail(name).label for name in names]


# ------------------------------------------------------------------ reads


def details_missing_by_pair(bookings: Sequence[Booking]) -> dict[tuple[int, int], list[str]]:
    """What each (professional, client) of the sessions still has to give, for the
    pairs whose professional requires anything: one query however many sessions
    (none when no professional of theirs requires anything).

    The professional's row (with `required_details`) must come with each
    booking (select_related), as every caller of the join gate has it."""
    professionals: dict[tuple[int, int], Professional] = {}
    for booking in bookings:
        if booking.client_id is not None and required_of(booking.professional):
            professionals[(booking.professional_id, booking.client_id)] = booking.professional
    if not professionals:
        return {}
    pairs = Q()
    for professional_id, client_id in professionals:
        pairs |= Q(professional_id=professional_id, client_id=client_id)
    given = {
        (row.professional_id, row.client_id): row for row in ClientDetails.objects.filter(pairs)
    }
    missing = {}
    for pair, professional in professionals.items():
        names = missing_of(professional, given.get(pair))
        if names:
            missing[pair] = names
    return missing


def details_join_blockers(bookings: Sequence[Booking]) -> dict[int, str]:
    """Sessions whose client has not yet given a detail their professional
    requires, by booking id: why the call may not start, as the client reads it."""
    missing = details_missing_by_pair(bookings)
    return {
        booking.pk: _("Give %(name)s the details they ask for before the call can start.")
        % {"name": booking.professional.user.name}
        for booking in bookings
        if (booking.professional_id, booking.client_id) in missing
    }


@dataclass(frozen=True)
class Ask:
    """One professional asking the client for the details still missing."""

    professional: Professional
    missing: list[Promise]

    @property
    def url(self) -> str:
        return reverse("intake:details", kwargs={"code": self.professional.code})


def details_asks(*, user: User, bookings: Sequence[Booking]) -> list[Ask]:
    """For the client `user`: each professional of these sessions (to come, not
    cancelled) who still waits for details, once each, in the sessions' order."""
    now = timezone.now()
    own = [
        booking
        for booking in bookings
        if booking.client_id == user.pk
        and booking.status == Booking.Status.CONFIRMED
        and booking.ends_at > now
    ]
    missing = details_missing_by_pair(own)
    asks: dict[int, Ask] = {}
    for booking in own:
        names = missing.get((booking.professional_id, user.pk))
        if names and booking.professional_id not in asks:
            asks[booking.professional_id] = Ask(booking.professional, labels(names))
    return list(asks.values())


@dataclass(frozen=True)
class GivenDetail:
    name: str
    label: Promise
    value: Any


def details_for_professional(
    *, professional: Professional, client: User
) -> tuple[list[GivenDetail], list[Promise]]:
    """What the client gave the professional (in Detail's order) and what the
    professional still waits for: only for that professional's own pages."""
    details = ClientDetails.objects.filter(professional=professional, client=client).first()
    given = [
        GivenDetail(name, Detail(name).label, getattr(details, name))
        for name in FIELDS
        if is_given(details, name)
    ]
    return given, labels(missing_of(professional, details))


def professional_for_details(*, user: User, code: str) -> Professional:
    """The professional (by public code) who may ask `user` for details: one with
    whom they have a session (any but one entered by mistake) or a request; 404
    for anyone else."""
    professional = (
        Professional.objects.select_related("user").filter(code=code).exclude(user=user).first()
    )
    if professional is None or not user.is_authenticated or user.erased_at is not None:
        raise Http404
    void = Q(status=Booking.Status.CANCELLED, cancel_reason=Booking.CancelReason.MISTAKE)
    sessions = Booking.objects.filter(professional=professional, client=user).exclude(void)
    asked = BookingRequest.objects.filter(professional=professional, client=user)
    if not (sessions.exists() or asked.exists()):
        raise Http404
    return professional


# ------------------------------------------------------------------ forms


class RequiredDetailsForm(forms.Form):
    required_details = forms.MultipleChoiceField(
        label=gettext_lazy("What every client must give you"),
        choices=Detail.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


PHONE_CHARACTERS = re.compile(r"^[0-9 +\-]+$")
KENNITALA = re.compile(r"^(\d{6})-?(\d{4})$")
OTHER_ID = re.compile(r"^(?:[^\W_]|-){4,32}$")
KENNITALA_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
# A kennitala's last digit is its century: 8 → 1800s, 9 → 1900s, 0 → 2000s.
KENNITALA_CENTURIES = {"8": 1800, "9": 1900, "0": 2000}
MAX_AGE = 120


def phone_clean(value: str) -> str:
    value = " ".join(value.split())
    if not PHONE_CHARACTERS.match(value):
        raise forms.ValidationError(
            _("A phone number may have only digits, spaces, + and -."), code="phone_characters"
        )
    digits = sum(character.isdigit() for character in value)
    if not 7 <= digits <= 20:
        raise forms.ValidationError(_("A phone number has 7 to 20 digits."), code="phone_length")
    return value


def kennitala_date(digits: str) -> date | None:
    """The birth date a kennitala's digits say, or None if it is not a real date."""
    century = KENNITALA_CENTURIES.get(digits[9])
    if century is None:
        return None
    try:
        return date(century + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return None


def kennitala_is_valid(digits: str) -> bool:
    """Ten digits whose ninth is the check digit of the first eight (modulo 11)
    and whose date part is a real date."""
    total = sum(int(d) * w for d, w in zip(digits[:8], KENNITALA_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[8]) and kennitala_date(digits) is not None


def national_id_clean(value: str) -> str:
    value = value.strip()
    found = KENNITALA.match(value)
    if found:
        digits = found.group(1) + found.group(2)
        if not kennitala_is_valid(digits):
            raise forms.ValidationError(
                _("This is not a valid kennitala: check the ten digits."), code="kennitala"
            )
        return f"{digits[:6]}-{digits[6:]}"
    if not OTHER_ID.match(value):
        raise forms.ValidationError(
            _(
                "Give a kennitala (ten digits) or another national ID of 4 to 32 letters, "
                "digits or hyphens."
            ),
            code="national_id",
        )
    return value


def date_of_birth_clean(value: date) -> date:
    today = timezone.localdate()
    if value >= today:
        raise forms.ValidationError(_("A date of birth must be in the past."), code="future")
    if value.year < today.year - MAX_AGE or (
        value.year == today.year - MAX_AGE and (value.month, value.day) < (today.month, today.day)
    ):
        raise forms.ValidationError(
            _("Check the year: that is more than %(years)s years ago.") % {"years": MAX_AGE},
            code="too_old",
        )
    return value


def emergency_contact_clean(value: str) -> str:
    value = value.strip()
    digits = sum(character.isdigit() for character in value)
    letters = sum(character.isalpha() for character in value)
    if letters < 2 or digits < 7:
        raise forms.ValidationError(
            _("Give the name and phone number of someone to call in an emergency."),
            code="emergency_contact",
        )
    return value


class ClientDetailsForm(forms.ModelForm):
    """The details one professional asks of a client: the fields they require
    (required) and any the client has given before (which they may change)."""

    class Meta:
        model = ClientDetails
        fields = FIELDS
        labels = {name: Detail(name).label for name in FIELDS}
        help_texts = {
            "phone": gettext_lazy("With the country code if it is not Icelandic, e.g. +354."),
            "date_of_birth": gettext_lazy("For example 1990-05-17."),
            "national_id": gettext_lazy(
                "Your kennitala, or the national ID of the country you live in."
            ),
            "emergency_contact": gettext_lazy(
                "The name and phone number of someone to call if something happens."
            ),
            "reason": gettext_lazy("In your own words, as much or as little as you like."),
        }
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "date_of_birth": forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
            "national_id": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "emergency_contact": forms.Textarea(attrs={"rows": 2}),
            "reason": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, professional: Professional, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        required = set(required_of(professional))
        for name in FIELDS:
            if name not in required and not is_given(self.instance, name):
                del self.fields[name]
            else:
                self.fields[name].required = name in required

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        return phone_clean(value) if value else value

    def clean_national_id(self) -> str:
        value = self.cleaned_data["national_id"]
        return national_id_clean(value) if value.strip() else ""

    def clean_date_of_birth(self) -> date | None:
        value = self.cleaned_data["date_of_birth"]
        return date_of_birth_clean(value) if value else value

    def clean_emergency_contact(self) -> str:
        value = self.cleaned_data["emergency_contact"]
        return emergency_contact_clean(value) if value.strip() else ""

    def clean_address(self) -> str:
        value = self.cleaned_data["address"].strip()
        if value and len(value) < 4:
            raise forms.ValidationError(_("Give your whole address."), code="address_short")
        return value

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()


# ------------------------------------------------------------------ writes


def details_required_set(*, professional: Professional, details: Iterable[str]) -> None:
    """What the professional requires of every client, from now on."""
    wanted = set(details)
    professional.required_details = [name for name in FIELDS if name in wanted]
    Professional.objects.filter(pk=professional.pk).update(
        required_details=professional.required_details
    )


def client_details_of(*, professional: Professional, client: User) -> ClientDetails:
    """The client's details for the professional, unsaved if none yet."""
    found = ClientDetails.objects.filter(professional=professional, client=client).first()
    return found or ClientDetails(professional=professional, client=client)


def client_details_save(
    *, professional: Professional, client: User, values: dict[str, Any]
) -> ClientDetails:
    """Save the fields the form showed (`values`): the others stay as they were."""
    fields = [name for name in values if name in FIELDS]
    with transaction.atomic():
        details, _created = ClientDetails.objects.get_or_create(
            professional=professional, client=client
        )
        details = ClientDetails.objects.select_for_update().get(pk=details.pk)
        for name in fields:
            setattr(details, name, values[name])
        details.updated_at = timezone.now()
        details.save(update_fields=[*fields, "updated_at"])
    return details


# ------------------------------------------------------------------ reminders


def details_remind_due(*, now: datetime | None = None) -> int:
    """E-mail each client with a session in the next three days whose
    professional still waits for required details: once a day at most per client
    and professional (ClientDetails.reminded_at, claimed under the row's lock, so
    two workers send one). The e-mail names the details, never their values.
    A periodic job (tengja.wiring's `periodic` command)."""
    now = now or timezone.now()
    asking = Professional.objects.exclude(required_details=[]).values("pk")
    soon = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + REMIND_AHEAD,
            professional__in=asking,
            client__isnull=False,
            client__is_active=True,
            client__erased_at=None,
        )
        .values("professional_id", "client_id")
        .annotate(first=Min("starts_at"))
        .order_by("first")[:REMIND_BATCH]
    )
    firsts = {(row["professional_id"], row["client_id"]): row["first"] for row in soon}
    if not firsts:
        return 0
    pairs = Q()
    for professional_id, client_id in firsts:
        pairs |= Q(professional_id=professional_id, client_id=client_id)
    recent = set(
        ClientDetails.objects.filter(pairs, reminded_at__gt=now - REMIND_EVERY).values_list(
            "professional_id", "client_id"
        )
    )
    sent = 0
    for (professional_id, client_id), starts_at in firsts.items():
        if (professional_id, client_id) in recent:
            continue
        if _remind(professional_id, client_id, starts_at, now):
            sent += 1
    return sent


def _remind(professional_id: int, client_id: int, starts_at: datetime, now: datetime) -> bool:
    with transaction.atomic():
        details, _created = ClientDetails.objects.get_or_create(
            professional_id=professional_id, client_id=client_id
        )
        details = (
            ClientDetails.objects.select_for_update()
            .select_related("professional__user", "client")
            .get(pk=details.pk)
        )
        if details.reminded_at is not None and details.reminded_at > now - REMIND_EVERY:
            return False  # another worker has just sent it
        missing = missing_of(details.professional, details)
        if not missing:
            return False
        details.reminded_at = now
        details.save(update_fields=["reminded_at"])
        client = details.client
        email_send(
            template="details-reminder",
            to=client.email,
            context={
                "client": client,
                "professional_name": details.professional.user.name,
                "starts_at": starts_at,
                "missing": labels(missing),
                "url": settings.SITE_URL.rstrip("/")
                + reverse("intake:details", kwargs={"code": details.professional.code}),
            },
            language=client.language,
            time_zone=client.time_zone,
        )
    return True
