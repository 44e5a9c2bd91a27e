"""Rate limits on what a request can make us do: e-mails to an address,
failed sign-ins from one client address, and wrong two-step sign-in codes for one
account (from one client address, and from anywhere), and new accounts from one
client address.

Counted by django-ratelimit in Django's default cache (Redis when REDIS_URL is
set, so the limits hold across processes; files on disk otherwise). The
cache keys are SHA-256 hashes of the address, so the cache holds no e-mail
address. A request over a limit is answered exactly as one under it: only the
e-mail is not sent, so the answer tells nobody whether a limit was hit (or
whether an address has an account). Wrong sign-in codes are the exception: only
someone who gave the account's password gets that far, and is told. So are new
accounts: over the limit, the form says so and no account is made (it tells
nothing about anyone).

When the cache cannot count (Redis is away), each limit fails its own way:
- the e-mail limits fail closed: no e-mail is sent on request until the cache
  is back. A reset link that arrives later is a nuisance the person can retry;
  an unlimited mailer at anyone's command is not, and its harm (a flooded
  inbox, our sending reputation) cannot be taken back.
- the sign-in limit fails open: closing it would stop everyone signing in,
  which is the outage this guards against. The lockout of one address from one
  client (django-axes) is kept in the database and still holds. The limits on
  wrong two-step codes fail open for the same reason (a wrong code still counts
  toward that lockout), and so does the limit on new accounts: an outage must not
  stop people joining, and the e-mail a new account is sent is itself limited.
"""

import logging

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

from tengja.lib.ip import client_ip

logger = logging.getLogger(__name__)


def _over(
    *,
    request: HttpRequest | None,
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


# ------------------------------------------------------------------ two-step sign-in codes


def _account(user: AbstractBaseUser) -> str:
    """The account with its password as it is now: a new password (the owner's
    answer to someone else knowing it) starts the counts of wrong codes afresh."""
    version = salted_hmac("tengja.sign-in-codes", user.password).hexdigest()[:16]
    return f"{user.pk}:{version}"


def _codes_here(request: HttpRequest, user: AbstractBaseUser, *, increment: bool) -> bool:
    return _over(
        request=request,
        group="sign-in-code-failures-for-account-from-ip",
        value=f"{_account(user)}:{client_ip(request)}",
        rate=settings.SIGN_IN_CODE_LIMIT_PER_IP,
        increment=increment,
        when_uncounted=False,
    )


def _codes_anywhere(user: AbstractBaseUser, *, increment: bool) -> bool:
    return _over(
        request=None,
        group="sign-in-code-failures-for-account",
        value=_account(user),
        rate=settings.SIGN_IN_CODE_LIMIT_PER_ACCOUNT,
        increment=increment,
        when_uncounted=False,
    )


def sign_in_code_blocked_here(*, request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether this client address has typed too many wrong codes for this account
    lately (SIGN_IN_CODE_LIMIT_PER_IP). Others, the owner among them, are not held back."""
    return _codes_here(request, user, increment=False)


def sign_in_code_failed_here(*, request: HttpRequest, user: AbstractBaseUser) -> None:
    _codes_here(request, user, increment=True)


def sign_in_codes_blocked(*, user: AbstractBaseUser) -> bool:
    """Whether the account has had too many wrong codes lately, from anywhere
    (SIGN_IN_CODE_LIMIT_PER_ACCOUNT): then no code is checked, right or wrong,
    until the count's day is over or the password changes."""
    return _codes_anywhere(user, increment=False)


def sign_in_code_failed(*, user: AbstractBaseUser) -> None:
    _codes_anywhere(user, increment=True)


SIGNUP_REFUSED = _(
    "Too many accounts have been made from your network in the last while, so no "
    "account was made. Try again later."
)


def signup_allowed(*, request: HttpRequest, form: BaseForm) -> bool:
    """Count an account the request asks us to make (every path that makes one:
    sign-up, hub join, accepted invitations); over SIGNUP_LIMIT_PER_IP from the
    client's address, put the refusal on the form and say False: make nothing,
    send nothing."""
    if _over(
        request=request,
        group="sign-ups-from-ip",
        value=client_ip(request),
        rate=settings.SIGNUP_LIMIT_PER_IP,
        increment=True,
        when_uncounted=False,
    ):
        logger.info("account not made: rate limit (client)")
        form.add_error(None, SIGNUP_REFUSED)
        return False
    return True


MESSAGES_REFUSED = _(
    "You have sent many messages in a short time, so this one was not sent. "
    "Wait a few minutes and try again."
)
FILES_REFUSED = _(
    "You have sent many files in the last hour, so this message was not sent. "
    "Try again later, or send the text without the file."
)


def message_refusal(*, user_id: int, with_file: bool) -> str:
    """Count a message `user_id` sends (and its file); over MESSAGE_LIMIT_PER_SENDER
    or MESSAGE_FILE_LIMIT_PER_SENDER, the reason it is refused, else "". Fails
    open: when the cache cannot count, a message still goes (messages are care,
    and the e-mail a message may cause is one per unread stretch)."""
    if with_file and _over(
        request=None,
        group="message-files-from-user",
        value=str(user_id),
        rate=settings.MESSAGE_FILE_LIMIT_PER_SENDER,
        increment=True,
        when_uncounted=False,
    ):
        logger.info("message not sent: file rate limit")
        return str(FILES_REFUSED)
    if _over(
        request=None,
        group="messages-from-user",
        value=str(user_id),
        rate=settings.MESSAGE_LIMIT_PER_SENDER,
        increment=True,
        when_uncounted=False,
    ):
        logger.info("message not sent: rate limit")
        return str(MESSAGES_REFUSED)
    return ""
