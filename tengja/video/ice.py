"""ICE servers for the browsers, from settings.

No servers are needed on one machine or a LAN. On the internet, STUN finds each
browser's public address and TURN relays when no direct path exists. TURN
credentials follow the TURN REST API scheme (coturn's `use-auth-secret`): the
username is `<expiry>:<user id>` and the password an HMAC of it with a secret
shared with the TURN server, so each one expires by itself.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credentials(*, user_id: int, now: float | None = None) -> tuple[str, str]:
    expiry = int((now or time.time()) + settings.TURN_CREDENTIAL_TTL)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(*, user_id: int) -> list[dict]:
    servers: list[dict] = []
    if settings.STUN_URLS:
        servers.append({"urls": settings.STUN_URLS})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credentials(user_id=user_id)
        servers.append({"urls": settings.TURN_URLS, "username": username, "credential": credential})
    return servers
