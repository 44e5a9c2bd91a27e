from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotesConfig(AppConfig):
    """A professional's private session notes: written by one professional about one
    client (a session, or the client in general), read by that professional alone,
    and stored encrypted with keys that are not in the database (tengja.notes.crypto)."""

    name = "tengja.notes"
    verbose_name = _("Session notes")

    def ready(self) -> None:
        from tengja.notes import checks  # noqa: F401 - registers the deploy check
