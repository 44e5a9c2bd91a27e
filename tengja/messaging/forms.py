from django import forms
from django.utils.translation import gettext_lazy as _

from tengja.messaging.services import BODY_MAX, NOTE_MAX


class MessageForm(forms.Form):
    """A message: text, a file, or both (messaging.services.message_send checks
    the rest and says what is wrong)."""

    body = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_MAX}),
    )
    file = forms.FileField(
        label=_("Attach a file (optional)"),
        required=False,
        help_text=_("A PDF or an image (JPEG, PNG or WebP), at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("How your client can reach you instead"),
        required=False,
        max_length=NOTE_MAX,
        help_text=_(
            "Shown to your client in place of the message box, e.g. a phone number or clinic."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
