from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Secure messages between a client and a professional who have a session
    together (issue 30): one conversation per pair, text and files (PDF and
    images, stored outside the public media folder and served only to the two),
    read marks, an e-mail that says only *that* a message waits, and a
    professional's closing of the conversation. It sits beside intake, measures
    and notes, just above bookings."""

    name = "tengja.messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from tengja.messaging import checks, signals  # noqa: F401 - registers them
