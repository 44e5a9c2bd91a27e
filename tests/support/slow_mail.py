"""An e-mail backend for the crash test: it writes the message (it is sent),
then hangs, so the test can kill the worker before the send is recorded."""

import os
import time

from django.core.mail.backends import locmem

from tengja.lib.mail import EmlFileBackend


class SendThenHangBackend(EmlFileBackend):
    """With TENGJA_HANG_AFTER_SEND=N, hangs once this process has sent N messages."""

    sent_here = 0

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        type(self).sent_here += sent
        hang_after = int(os.environ.get("TENGJA_HANG_AFTER_SEND") or 0)
        if hang_after and type(self).sent_here >= hang_after:
            time.sleep(120)
        return sent


class PausingBackend(locmem.EmailBackend):
    """Django's in-memory backend, pausing in the middle of a send until the test
    says go: the test does something else while an e-mail is being sent."""

    sending = None  # threading.Event, set by the test
    go = None

    def send_messages(self, messages):
        type(self).sending.set()
        type(self).go.wait(timeout=15)
        return super().send_messages(messages)


class CountingBackend(locmem.EmailBackend):
    """Django's in-memory backend, counting the connections made (one per
    get_connection(): an e-mail sent without one given makes its own)."""

    opened = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).opened += 1


class FailingOnceBackend(locmem.EmailBackend):
    """Django's in-memory backend whose second message fails, as a refused address would."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls == 2:
            raise OSError("refused")
        return super().send_messages(messages)
