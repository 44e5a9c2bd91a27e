"""An e-mail backend for the crash test: it writes the message (it is sent),
then hangs, so the test can kill the worker before the send is recorded."""

import os
import time

from tengja.lib.mail import EmlFileBackend


class SendThenHangBackend(EmlFileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        if os.environ.get("TENGJA_HANG_AFTER_SEND"):
            time.sleep(120)
        return sent


class PausingBackend:
    """Django's in-memory backend, pausing in the middle of a send until the test
    says go: the test does something else while an e-mail is being sent."""

    sending = None  # threading.Event, set by the test
    go = None

    def __init__(self, *args, **kwargs) -> None:
        from django.core.mail.backends.locmem import EmailBackend

        self.backend = EmailBackend(*args, **kwargs)

    def send_messages(self, messages):
        type(self).sending.set()
        type(self).go.wait(timeout=15)
        return self.backend.send_messages(messages)
