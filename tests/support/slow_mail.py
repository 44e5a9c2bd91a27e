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
