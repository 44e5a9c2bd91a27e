"""The WSGI application: HTTP at scale, under gunicorn behind nginx (README's
"Running at scale"); WebSocket (/ws/) goes to the ASGI server (tengja.asgi)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tengja.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

from tengja.billing.checks import refuse_to_start_on_payment_problems  # noqa: E402
from tengja.notes.checks import refuse_to_start_without_notes_keys  # noqa: E402

refuse_to_start_on_payment_problems()
refuse_to_start_without_notes_keys()
