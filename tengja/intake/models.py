"""A client's details and forms for a professional (issue 29).

Everything here is clinical or personal data of one client given to one
professional: only those two ever see it (never HR, never another
professional). SECURITY.md says what happens to it when an account is deleted.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tengja.lib.codes import public_code
from tengja.professionals.models import Professional, SessionType


class Detail(models.TextChoices):
    """What a professional may require of a new client (Professional.required_details)."""

    ADDRESS = "address", _("Address")
    PHONE = "phone", _("Phone number")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    NATIONAL_ID = "national_id", _("Kennitala or other national ID")
    EMERGENCY_CONTACT = "emergency_contact", _("Emergency contact")
    REASON = "reason", _("Reason for coming")


class ClientDetails(models.Model):
    """What one client gave one professional. A client gives each professional
    their own copy: nothing given to one is shown to another."""

    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="client_details"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_details"
    )
    address = models.TextField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone number"), max_length=32, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    national_id = models.CharField(_("kennitala or other national ID"), max_length=32, blank=True)
    emergency_contact = models.TextField(_("emergency contact"), max_length=500, blank=True)
    reason = models.TextField(_("reason for coming"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # When the last reminder e-mail went out (one a day at most).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("client details")
        verbose_name_plural = _("client details")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "client"], name="clientdetails_one_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.professional_id}"


class IntakeForm(models.Model):
    """A form a professional sends before the first session: an intake
    questionnaire, or a consent the client signs by typing their full name.

    `fields` is a list of {"key", "kind", "label", "help", "required",
    "choices", "min", "max"} (kinds: FieldKind). A response keeps the exact form
    it answered (FormResponse.snapshot), so changing a form never changes what
    was answered or signed.
    """

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Intake form")
        CONSENT = "consent", _("Consent")

    class FieldKind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        CHOICE = "choice", _("Choice")
        SCALE = "scale", _("Scale")
        DATE = "date", _("Date")
        YES_NO = "yes_no", _("Yes or no")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="intake_forms"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.INTAKE)
    title = models.CharField(_("title"), max_length=150)
    # Shown above the fields; for a consent, the text the client agrees to.
    body = models.TextField(_("text"), max_length=20000, blank=True)
    fields = models.JSONField(default=list, blank=True)
    # Session types whose clients must complete this form before their first
    # session with the professional.
    session_types = models.ManyToManyField(
        SessionType, blank=True, related_name="required_forms", verbose_name=_("required for")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    # Goes up with every change, so a response can say which version it answered.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("intake form")
        verbose_name_plural = _("intake forms")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class FormResponse(models.Model):
    """One client's answers to one form: a draft saved as they type, then
    submitted (an intake form) or signed (a consent). Once submitted or signed it
    is never changed."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Started")
        SUBMITTED = "submitted", _("Sent")
        SIGNED = "signed", _("Signed")

    code = models.CharField(max_length=16, unique=True, default=public_code, editable=False)
    form = models.ForeignKey(
        IntakeForm, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="form_responses"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="form_responses"
    )
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    # The form exactly as the client saw it: kind, title, body, fields, version.
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A consent's signature: the full name typed, when, and a SHA-256 of the
    # exact text seen, the answers, the name and the time.
    signed_name = models.CharField(_("full name"), max_length=150, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signature_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("form response")
        verbose_name_plural = _("form responses")
        constraints = [
            models.UniqueConstraint(
                fields=["form", "client"], name="formresponse_one_per_form_and_client"
            )
        ]
        indexes = [models.Index(fields=["professional", "client"])]

    def __str__(self) -> str:
        return f"{self.snapshot.get('title', '')} ({self.get_state_display()})"

    @property
    def is_complete(self) -> bool:
        return self.state != self.State.DRAFT
