"""Rate limits on what a request can make us do: e-mails to an address, and
failed sign-ins from one client address.

Counted by django-ratelimit in Django's default cache (Redis when REDIS_URL is
set, so the limits hold across processes; files on disk otherwise). The
cache keys are SHA-256 hashes of the address, so the cache holds no e-mail
address. A request over a limit is answered exactly as one under it: only the
e-mail is not sent, so the answer tells nobody whether a limit was hit (or
whether an address has an account).

When the cache cannot count (Redis is away), each limit fails its own way:
- the e-mail limits fail closed: no e-mail is sent on request until the cache
  is back. A reset link that arrives later is a nuisance the person can retry;
  an unlimited mailer at anyone's command is not, and its harm (a flooded
  inbox, our sending reputation) cannot be taken back.
- the sign-in limit fails open: closing it would stop everyone signing in,
  which is the outage this guards against. The lockout of one address from one
  client (django-axes) is kept in the database and still holds.
"""

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from tengja.lib.ip import client_ip

logger = logging.getLogger(__name__)


def _over(
    *,
    request: HttpRequest,
    group: str,
    value: str,
    rate: str,
    increment: bool,
    when_uncounted: bool,
) -> bool:
    """With `increment`, count this one and say whether it goes over the limit;
    without, say whether the next one would. `when_uncounted` is the answer when
    the cache cannot say (see the module's docstring)."""
    try:
        usage = get_usage(
            request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment
        )
    except Exception:  # a cache backend that raises rather than misses
        usage = {"time_left": -1}
    if usage is None:  # the limits are turned off (RATELIMIT_ENABLE)
        return False
    # With RATELIMIT_FAIL_OPEN off django-ratelimit says it could not count this
    # one with a time_left of -1. (A count the cache cannot read comes back as 0.)
    if usage["time_left"] < 0:
        logger.warning(
            "rate limit %s not counted (the cache is unavailable): %s",
            group,
            "refused" if when_uncounted else "allowed",
        )
        return when_uncounted
    return usage["count"] > usage["limit"] if increment else usage["count"] >= usage["limit"]


def email_allowed(*, request: HttpRequest, address: str) -> bool:
    """Count an e-mail the request asks us to send to `address`; False when that
    address, or the client's address, has had its share (both are counted either way)."""
    per_address = _over(
        request=request,
        group="email-to-address",
        value=address.strip().lower(),
        rate=settings.EMAIL_LIMIT_PER_ADDRESS,
        increment=True,
        when_uncounted=True,
    )
    per_ip = _over(
        request=request,
        group="email-from-ip",
        value=client_ip(request),
        rate=settings.EMAIL_LIMIT_PER_IP,
        increment=True,
        when_uncounted=True,
    )
    if per_address or per_ip:
        logger.info("e-mail not sent: rate limit (%s)", "address" if per_address else "client")
        return False
    return True


def sign_in_blocked(*, request: HttpRequest) -> bool:
    """Whether the client's address has failed to sign in too often lately,
    across any number of accounts (password spraying)."""
    return _over(
        request=request,
        group="sign-in-failures-from-ip",
        value=client_ip(request),
        rate=settings.SIGN_IN_LIMIT_PER_IP,
        increment=False,
        when_uncounted=False,
    )


def sign_in_failed(*, request: HttpRequest) -> None:
    _over(
        request=request,
        group="sign-in-failures-from-ip",
        value=client_ip(request),
        rate=settings.SIGN_IN_LIMIT_PER_IP,
        increment=True,
        when_uncounted=False,
    )
