"""One ASGI application for HTTP and WebSocket (Channels)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tengja.settings")

import django

# Django must be set up before anything imports models (consumers, routing).
django.setup(set_prefix=False)

from tengja.lib.handler import SyncChainASGIHandler  # noqa: E402

django_asgi_app = SyncChainASGIHandler()

import logging  # noqa: E402

from tengja.billing.checks import payment_problems  # noqa: E402

# A server that cannot take real money, or would take fake money for real, does
# not start; one running a demo with fake payments says so loudly.
for problem in payment_problems():
    if problem.is_serious():
        raise RuntimeError(f"Tengja will not start: {problem.msg} {problem.hint}")
    logging.getLogger("tengja").warning("%s %s", problem.msg, problem.hint)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from tengja.lib.concurrency import HttpConcurrencyLimit  # noqa: E402
from tengja.video.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": HttpConcurrencyLimit(django_asgi_app, limit=settings.HTTP_CONCURRENCY),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
