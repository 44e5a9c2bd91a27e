"""Two-step sign-in: an authenticator app's codes (TOTP), and recovery codes.

Codes are computed here from the secret, as the app computes them."""

import re
import time
from binascii import unhexlify
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tengja.accounts import services
from tengja.accounts.models import RecoveryCode
from tengja.accounts.views import SIGN_IN_PENDING, TWO_FACTOR_KEY
from tengja.lib.tokens import token_hash

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_code")
SETUP = reverse("accounts:two_factor")
PROFILE = reverse("accounts:profile")


def app_code(key_hex: str, at: float | None = None) -> str:
    """What the authenticator app shows for this secret now (or at `at`): RFC 6238."""
    step = int((at if at is not None else time.time()) // 30)
    return f"{hotp(unhexlify(key_hex), step, digits=6):06d}"


def turn_on(client, user, password) -> tuple[str, list[str]]:
    """Set up through the pages: returns the secret and the recovery codes shown."""
    client.force_login(user)
    page = client.get(SETUP)
    assert page.status_code == 200
    key = client.session[TWO_FACTOR_KEY]
    response = client.post(SETUP, {"code": app_code(key), "current_password": password})
    assert response.status_code == 200, response.content.decode()
    codes = re.findall(
        r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode()
    )
    assert len(codes) == 10
    client.logout()
    return key, codes


def password_step(client, user, password):
    return client.post(LOGIN, {"username": user.email, "password": password})


def later(seconds: float):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_set_up_shows_a_qr_code_and_the_key_and_stores_nothing_until_confirmed(client, alice):
    client.force_login(alice)
    body = client.get(SETUP).content.decode()
    key = client.session[TWO_FACTOR_KEY]
    from base64 import b32encode

    secret = b32encode(unhexlify(key)).decode()
    assert '<img class="qr" src="data:image/svg+xml' in body
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    assert not TOTPDevice.objects.exists()
    # The same secret on a reload, so a scanned code keeps working.
    client.get(SETUP)
    assert client.session[TWO_FACTOR_KEY] == key


def test_turning_on_needs_a_right_code_and_the_password(client, alice, password):
    client.force_login(alice)
    client.get(SETUP)
    key = client.session[TWO_FACTOR_KEY]
    wrong_code = f"{(int(app_code(key)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong_code, "current_password": password})
    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    response = client.post(SETUP, {"code": app_code(key), "current_password": "wrong"})
    assert response.status_code == 400
    assert "current password was entered incorrectly" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_recovery_codes_are_shown_once_and_stored_hashed(client, alice, password):
    _key, codes = turn_on(client, alice, password)
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert stored == {token_hash(code.replace("-", "")) for code in codes}
    for code in codes:
        assert not RecoveryCode.objects.filter(code_hash__contains=code.replace("-", "")).exists()
    client.force_login(alice)
    body = client.get(PROFILE).content.decode()
    assert "10 recovery codes left." in body
    assert codes[0] not in body
    # Once on, the set-up page sends back to the profile (no new secret, no codes).
    assert client.get(SETUP)["Location"] == PROFILE


def test_sign_in_takes_the_password_then_a_code_from_the_app(client, alice, password):
    key, _codes = turn_on(client, alice, password)
    response = password_step(client, alice, password)
    assert response["Location"] == CODE
    assert "_auth_user_id" not in client.session  # not signed in yet
    assert client.get(reverse("dashboard:home")).status_code == 200  # as a visitor
    with later(31):  # the code used to turn it on cannot be used again
        response = client.post(CODE, {"code": app_code(key)})
    assert response["Location"] == reverse("dashboard:home")
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == TOTPDevice.objects.get().persistent_id
    assert SIGN_IN_PENDING not in client.session


def test_next_is_kept_through_the_second_step(client, alice, password):
    key, _codes = turn_on(client, alice, password)
    client.post(
        LOGIN + "?next=/accounts/profile/",
        {"username": alice.email, "password": password, "next": "/accounts/profile/"},
    )
    with later(31):
        response = client.post(CODE, {"code": app_code(key)})
    assert response["Location"] == "/accounts/profile/"


def test_an_app_code_works_once(client, alice, password):
    key, _codes = turn_on(client, alice, password)
    with later(31):
        code = app_code(key)
        password_step(client, alice, password)
        assert client.post(CODE, {"code": code})["Location"] == reverse("dashboard:home")
        client.logout()
        password_step(client, alice, password)
    with later(33):
        response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_old_code_has_expired(client, alice, password):
    key, _codes = turn_on(client, alice, password)
    code = app_code(key, at=time.time() + 31)
    with later(31):
        password_step(client, alice, password)
    with later(31 + 120):  # two minutes later the app shows another code
        response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()


def test_a_recovery_code_works_once(client, alice, password):
    _key, codes = turn_on(client, alice, password)
    password_step(client, alice, password)
    response = client.post(CODE, {"code": codes[3].upper().replace("-", " ")})
    assert response["Location"] == reverse("dashboard:home")
    assert "9 are left" in client.get(reverse("dashboard:home")).content.decode()
    client.logout()
    password_step(client, alice, password)
    response = client.post(CODE, {"code": codes[3]})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 1


def test_wrong_codes_count_toward_the_lockout(client, alice, password, settings):
    _key, codes = turn_on(client, alice, password)
    password_step(client, alice, password)
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        # Recovery-code guesses are not slowed down, only counted.
        response = client.post(CODE, {"code": f"aaaaa-aaaa{attempt}"})
        assert response.status_code == 400
    response = client.post(CODE, {"code": "zzzzz-zzzzz"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # Locked: neither a right code nor the password gets in.
    with later(31):
        assert password_step(client, alice, password).status_code == 429
    assert client.post(CODE, {"code": codes[0]})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def wrong_code(key: str) -> str:
    """Six digits the app shows at none of the moments a code is accepted for."""
    accepted = {app_code(key, at=time.time() + 30 * step) for step in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)


def at(address: str) -> Client:
    """A browser of its own, at this client address."""
    return Client(REMOTE_ADDR=address)


def signs_in(browser: Client, user, password: str, code: str) -> bool:
    password_step(browser, user, password)
    response = browser.post(CODE, {"code": code})
    return response.status_code == 302 and browser.session.get("_auth_user_id") == str(user.pk)


def test_wrong_codes_from_one_address_do_not_keep_the_owner_out(client, alice, password, settings):
    """Someone with the password types wrong codes until they are locked out where
    they are; the owner, elsewhere, signs in with a right code at once."""
    key, _codes = turn_on(client, alice, password)
    attacker = at("203.0.113.66")
    with later(31):
        password_step(attacker, alice, password)
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attacker.post(CODE, {"code": wrong_code(key)}).status_code == 400
        assert attacker.post(CODE, {"code": wrong_code(key)}).status_code == 429  # there
        assert signs_in(at("198.51.100.20"), alice, password, app_code(key))


def test_wrong_codes_from_one_address_are_limited_there(client, alice, password, settings):
    """Beyond the lockout of 15 minutes, an address gets SIGN_IN_CODE_LIMIT_PER_IP
    wrong codes for an account (10 a day), then no more, right or wrong; elsewhere
    the owner still signs in."""
    assert settings.SIGN_IN_CODE_LIMIT_PER_IP == "10/d"
    settings.SIGN_IN_CODE_LIMIT_PER_IP = "3/d"  # below the lockout's 5, to reach it first
    key, _codes = turn_on(client, alice, password)
    attacker = at("203.0.113.66")
    with later(31):
        password_step(attacker, alice, password)
        for _ in range(3):
            assert attacker.post(CODE, {"code": wrong_code(key)}).status_code == 400
        password_step(attacker, alice, password)
        response = attacker.post(CODE, {"code": app_code(key)})  # even a right one
        assert response.status_code == 429
        assert "from here is paused for a while after many wrong codes" in (
            response.content.decode()
        )
        assert "_auth_user_id" not in attacker.session
        assert signs_in(at("198.51.100.20"), alice, password, app_code(key))


def test_wrong_codes_from_many_addresses_are_limited_for_the_account(
    client, alice, password, settings
):
    """Spread over addresses (each stopped by its lockout after 5), wrong codes for
    one account stop at SIGN_IN_CODE_LIMIT_PER_ACCOUNT (30 a day): no code is
    checked after that, so codes cannot be guessed; the owner too is paused, until
    a new password."""
    assert settings.SIGN_IN_CODE_LIMIT_PER_ACCOUNT == "30/d"
    key, _codes = turn_on(client, alice, password)
    with later(31):
        for n in range(6):  # six addresses, five wrong codes each: 30
            attacker = at(f"203.0.113.{n + 1}")
            password_step(attacker, alice, password)
            for _ in range(settings.AXES_FAILURE_LIMIT):
                attacker.post(CODE, {"code": wrong_code(key)})
        owner = at("198.51.100.20")
        password_step(owner, alice, password)
        response = owner.post(CODE, {"code": app_code(key)})
        assert response.status_code == 429
        assert "many wrong codes were typed for it, from more than one place" in (
            response.content.decode()
        )
        assert "_auth_user_id" not in owner.session
        assert services.sign_in_code_check(user=alice, code=app_code(key)) is None
        # A new password (the owner's answer to someone knowing the old one) lifts it.
        alice.set_password("a new password for alice 2026")
        alice.save()
        assert signs_in(owner, alice, "a new password for alice 2026", app_code(key))


def test_the_second_step_waits_only_a_few_minutes(client, alice, password, settings):
    key, _codes = turn_on(client, alice, password)
    password_step(client, alice, password)
    with later(settings.SIGN_IN_CODE_TIMEOUT + 1):
        response = client.post(CODE, {"code": app_code(key)})
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_first_sends_to_sign_in(client, db):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(CODE, {"code": "123456"})["Location"] == LOGIN


def test_turning_off_needs_the_password(client, alice, password):
    turn_on(client, alice, password)
    client.force_login(alice)
    url = reverse("accounts:two_factor_disable")
    response = client.post(url, {"current_password": "wrong"})
    assert response.status_code == 400
    assert TOTPDevice.objects.exists()
    assert client.post(url, {"current_password": password})["Location"] == PROFILE
    assert not TOTPDevice.objects.exists()
    assert not RecoveryCode.objects.exists()
    client.logout()
    assert password_step(client, alice, password)["Location"] == reverse("dashboard:home")


@pytest.fixture
def required(settings):
    settings.REQUIRE_2FA_FOR_STAFF = True


@pytest.mark.parametrize("who", ["professional", "hr"])
def test_staff_must_set_it_up_before_anything_else(request, client, password, required, who):
    person = request.getfixturevalue(who)
    person = getattr(person, "user", person)
    response = password_step(client, person, password)
    response = client.get(response["Location"])
    assert response["Location"] == SETUP
    for name in ("dashboard:home", "billing:payments", "accounts:profile"):
        assert client.get(reverse(name))["Location"] == SETUP
    assert "requires two-step sign-in" in client.get(SETUP).content.decode()
    key = client.session[TWO_FACTOR_KEY]
    client.post(SETUP, {"code": app_code(key), "current_password": password})
    assert client.get(reverse("dashboard:home")).status_code == 200
    # And it cannot be turned off.
    response = client.post(reverse("accounts:two_factor_disable"), {"current_password": password})
    assert response["Location"] == PROFILE
    assert TOTPDevice.objects.filter(user=person).exists()


def test_clients_choose(client, alice, required):
    client.force_login(alice)
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_a_staff_session_that_skipped_the_second_step_signs_in_again(
    client, professional, password, required
):
    _key, _codes = turn_on(client, professional.user, password)
    client.force_login(professional.user)  # as a session from before, without the code
    response = client.get(reverse("dashboard:home"))
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
