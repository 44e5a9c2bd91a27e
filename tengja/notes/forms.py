from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TITLE_MAX = 200
BODY_MAX = 50_000


class StartForm(forms.Form):
    template = forms.ChoiceField(label=_("Start from"), required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = choices  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    title = forms.CharField(
        label=pgettext_lazy("note", "Title"), max_length=TITLE_MAX, required=False
    )
    body = forms.CharField(
        label=_("Note"),
        max_length=BODY_MAX,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18}),
    )


class AddendumForm(forms.Form):
    body = forms.CharField(
        label=_("Addendum"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Text"),
        max_length=BODY_MAX,
        strip=False,
        help_text=_("Headings and prompts a new note starts with."),
        widget=forms.Textarea(attrs={"rows": 14}),
    )
