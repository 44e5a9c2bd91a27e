import secrets
import time
from binascii import unhexlify
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from tengja.accounts.models import (
    EmailChange,
    RecoveryCode,
    RecoveryCodes,
    User,
    recovery_code_normalise,
)
from tengja.lib.emails import email_deliver_now, email_render, email_send
from tengja.lib.limits import sign_in_code_failed, sign_in_codes_blocked
from tengja.lib.realtime import group_send_on_commit, session_key_digest, user_group
from tengja.lib.tokens import token_hash, token_make


class AccountError(Exception):
    """A refusal with a message meant for the person who asked."""


def user_sign_up(*, name: str, email: str, password: str, language: str, time_zone: str) -> User:
    """A new client account that has accepted the current Terms & Conditions."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email,
                password=password,
                name=name,
                language=language,
                time_zone=time_zone,
                terms_version=settings.TERMS_VERSION,
                terms_accepted_at=timezone.now(),
            )
    except IntegrityError:
        # Two sign-ups with one address at once: the database let one through.
        raise AccountError(_("An account with this email already exists.")) from None


def user_signed_out(*, user_id: int, session_key: str | None) -> None:
    """What the signed-out browser session still has open closes with it: its
    call's signalling socket (tengja.video) hears "session.end". The same
    person's other browsers stay signed in, so their calls go on."""
    group_send_on_commit(
        user_group(user_id),
        {"type": "session.end", "reason": "signed_out", "session": session_key_digest(session_key)},
    )


def user_update_profile(*, user: User, name: str, language: str, time_zone: str) -> None:
    user.name = name
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["name", "language", "time_zone"])


def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def user_set_picture(*, user: User, picture: ContentFile | None) -> None:
    """Store a re-encoded picture (see tengja.lib.images), or remove it with None."""
    old = user.picture.name if user.picture else None
    if picture is None:
        user.picture = ""
        user.save(update_fields=["picture"])
    else:
        user.picture.save(picture.name, picture, save=False)
        user.save(update_fields=["picture"])
    if old:
        storage = user.picture.storage
        transaction.on_commit(lambda: storage.delete(old))


def password_reset_request(*, email: str) -> None:
    """Queue a reset e-mail for the address. The request does the same work whether
    or not an account has it; the task finds out (see password_reset_send)."""
    from tengja.accounts.tasks import password_reset_send as task

    address = email.strip().lower()
    transaction.on_commit(lambda: task.enqueue(email=address))


def password_reset_send(*, email: str) -> None:
    """Send the reset link, made now with Django's token generator, if the address
    belongs to an active account with a password."""
    user = User.objects.filter(email=email.lower(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    subject, text, html = email_render(
        template="password-reset",
        context={
            "user": user,
            "reset_url": settings.SITE_URL + path,
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        },
        language=user.language,
        time_zone=user.time_zone,
    )
    email_deliver_now(to=user.email, subject=subject, text=text, html=html)


def email_change_request(*, user: User, new_email: str) -> EmailChange:
    """Send a confirmation link to the new address; the change waits for it.

    Earlier pending requests are cancelled, so only the newest link works. The
    link's token is made when the e-mail is sent (email_change_send).
    """
    unusable_hash = token_make()[1]  # replaced when the link is sent
    now = timezone.now()
    with transaction.atomic():
        EmailChange.objects.filter(user=user, confirmed_at__isnull=True).delete()
        change = EmailChange.objects.create(
            user=user,
            new_email=new_email.lower(),
            token_hash=unusable_hash,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.EMAIL_CHANGE_TIMEOUT),
        )
        from tengja.accounts.tasks import email_change_send as task

        transaction.on_commit(lambda: task.enqueue(change_id=change.pk))
    return change


def email_change_send(*, change_id: int) -> None:
    """Make the link's token, keep only its hash, and e-mail it to the new address."""
    change = (
        EmailChange.objects.select_related("user")
        .filter(pk=change_id, confirmed_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if change is None:  # confirmed, replaced by a newer request, or expired meanwhile
        return
    raw, hashed = token_make()
    EmailChange.objects.filter(pk=change.pk).update(token_hash=hashed)
    user = change.user
    subject, text, html = email_render(
        template="email-change-confirm",
        context={
            "user": user,
            "new_email": change.new_email,
            "confirm_url": settings.SITE_URL
            + reverse("accounts:email_change_confirm", kwargs={"token": raw}),
            "expires_at": change.expires_at,
        },
        language=user.language,
        time_zone=user.time_zone,
    )
    email_deliver_now(to=change.new_email, subject=subject, text=text, html=html)


def email_change_pending(*, token: str) -> EmailChange:
    """The pending change a link names, or AccountError saying why it cannot be used."""
    change = EmailChange.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if change is None:
        raise AccountError(_("This link is not valid. Request a new one from your profile."))
    if change.confirmed_at is not None:
        raise AccountError(_("This link has already been used."))
    if change.expires_at <= timezone.now():
        raise AccountError(_("This link has expired. Request a new one from your profile."))
    return change


def email_change_confirm(*, token: str) -> User:
    """Make the pending change take effect, once; tell the old address it happened."""
    with transaction.atomic():
        change = email_change_pending(token=token)
        # Claim the row first: of two clicks at once, only one updates it.
        claimed = EmailChange.objects.filter(pk=change.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        if not claimed:
            raise AccountError(_("This link has already been used."))
        user = User.objects.select_for_update().get(pk=change.user_id)
        if User.objects.filter(email=change.new_email).exclude(pk=user.pk).exists():
            raise AccountError(_("Another account already uses this email."))
        old_email = user.email
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError:
            raise AccountError(_("Another account already uses this email.")) from None
        email_send(
            template="email-changed-notice",
            to=old_email,
            context={"user": user, "old_email": old_email, "new_email": user.email},
            language=user.language,
            time_zone=user.time_zone,
        )
    return user


# ------------------------------------------------------------------ two-step sign-in

RECOVERY_CODE_COUNT = 10
# Letters and digits nobody confuses (no 0/o, 1/l/i): 31 symbols, 10 of them
# make a code of 49 random bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def two_factor_key_new() -> str:
    """A new secret for an authenticator app, as django-otp keeps it (hex)."""
    return random_hex(20)


def _recovery_code() -> str:
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{code[:5]}-{code[5:]}"


def two_factor_enable(*, user: User, key: str, code: str) -> list[str]:
    """Turn on two-step sign-in with the secret the app was given, once a code
    from the app proves it has it. Returns ten recovery codes, to be shown once:
    only their hashes are kept."""
    totp = TOTP(unhexlify(key.encode()))
    totp.time = time.time()
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        raise AccountError(
            _("That code does not match. Check the time on your phone and type the newest code.")
        )
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        two_factor_disable(user=user)
        TOTPDevice.objects.create(
            user=user, name="Authenticator app", key=key, confirmed=True, last_t=totp.t()
        )
        device = RecoveryCodes.objects.create(user=user, name="Recovery codes")
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, code_hash=token_hash(recovery_code_normalise(raw)))
            for raw in codes
        )
    return codes


def two_factor_disable(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodes.objects.filter(user=user).delete()


def sign_in_code_check(*, user: User, code: str) -> Device | None:
    """The device that accepts the code of the second step (the app's six digits,
    or an unused recovery code, which is then used up), or None.

    A wrong code counts toward the account's limit (SIGN_IN_CODE_LIMIT_PER_ACCOUNT),
    whoever asks (signing in, erasing the account); over it, no code is checked,
    right or wrong, so codes cannot be guessed from many addresses at once."""
    if sign_in_codes_blocked(user=user):
        return None
    code = code.strip()
    with transaction.atomic():
        if code.isdigit():
            device = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
        else:
            device = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
        if device is not None and device.verify_token(code):
            return device
    sign_in_code_failed(user=user)
    return None
