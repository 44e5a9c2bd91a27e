"""The ASGI application: Django's own handler for HTTP, Channels for /ws/.

`manage.py serve` (the embedded default) serves both from one uvicorn process.
At scale nginx sends /ws/ here and HTTP to gunicorn (tengja.wsgi); see README's
"Running at scale" and deploy/nginx/.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tengja.settings")

from django.core.asgi import get_asgi_application

# Sets Django up: before anything imports models (the consumers, the routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tengja.billing.checks import refuse_to_start_on_payment_problems  # noqa: E402
from tengja.notes.checks import refuse_to_start_without_notes_keys  # noqa: E402
from tengja.video.routing import websocket_urlpatterns  # noqa: E402

refuse_to_start_on_payment_problems()
refuse_to_start_without_notes_keys()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
