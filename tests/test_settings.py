import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from tengja import settings as settings_module
from tests.conftest import requires_postgres

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-0123456789",
    "ALLOWED_HOSTS": "tengja.example",
    "SITE_URL": "https://tengja.example",
    "DATABASE_URL": "sqlite:///:memory:",
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    # Session notes' encryption key (tengja.notes.checks): a Fernet key.
    "NOTES_KEYS": "x6lVNMBOOYr6aGMvhZFMdOOtHXDq2WCRZP2cSBF3z2U=",
    "PATH": os.environ["PATH"],
}
WITHOUT_STRIPE = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("STRIPE_")}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_a_plain_http_site_url():
    result = manage("check", env={**PRODUCTION_ENV, "SITE_URL": "http://tengja.example"})
    assert result.returncode != 0
    assert "SITE_URL must be the site's https:// address" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOMETHING_FILE", str(secret))
    assert settings_module.env("SOMETHING") == "from-a-file"


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_bad_boolean_fails_loudly(monkeypatch, value):
    monkeypatch.setenv("SOME_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be true or false"):
        settings_module.envbool("SOME_FLAG", "false")


def test_bad_number_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "eight")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a whole number"):
        settings_module.envint("SOME_NUMBER", "1")


def test_passwords_are_hashed_with_argon2():
    assert settings_module.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=settings_module.PASSWORD_HASHERS):
        assert make_password("secret").startswith("argon2")


def test_security_headers_on_every_page(client, alice):
    pages = [reverse("dashboard:home"), reverse("accounts:login"), reverse("accounts:signup")]
    client.force_login(alice)
    pages += [reverse("accounts:profile"), reverse("billing:payments")]
    for url in pages:
        response = client.get(url)
        csp = dict(
            (part.split()[0], part.split()[1:])
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        )
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert "<script>" not in body
    assert "<script src=" in body


def settings_seen_with(env: dict, *expressions: str, drop: tuple[str, ...] = ()) -> list[str]:
    """The values of settings expressions in a fresh process with these variables."""
    environment = {k: v for k, v in os.environ.items() if k not in drop} | env
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='tengja.settings'; "
        "from django.conf import settings as s; "
        f"print({', '.join(expressions)})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_redis_url_switches_channel_layer_and_cache_but_not_sessions():
    layer, cache, ignore, sessions = settings_seen_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"},
        "s.CHANNEL_LAYERS['default']['BACKEND']",
        "s.CACHES['default']['BACKEND']",
        "s.CACHES['default']['OPTIONS']['IGNORE_EXCEPTIONS']",
        "s.SESSION_ENGINE",
    )
    assert layer == "channels_redis.core.RedisChannelLayer"
    assert cache == "django_redis.cache.RedisCache"
    assert ignore == "True"  # Redis away costs speed, not pages
    # Sessions stay in the database: Redis away signs nobody out.
    assert sessions == "django.contrib.sessions.backends.db"


def test_redis_channel_layer_reads_for_longer_than_it_blocks():
    """channels_redis waits for a message with a blocking read of brpop_timeout
    seconds; a socket timeout shorter than that (redis-py 8's default is 5 s) drops
    every quiet WebSocket (tests/video/test_redis_scale.py holds a quiet minute)."""
    from channels_redis.core import RedisChannelLayer

    [timeout] = settings_seen_with(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"},
        "s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['socket_timeout']",
    )
    assert float(timeout) >= RedisChannelLayer.brpop_timeout + 5


def test_video_ice_transport_policy_is_all_or_relay_through_turn():
    turn = {"TURN_URLS": "turn:turn.example:3478?transport=tcp", "TURN_SECRET": "s"}
    assert settings_seen_with({}, "s.VIDEO_ICE_TRANSPORT_POLICY") == ["all"]
    assert settings_seen_with(
        {**turn, "VIDEO_ICE_TRANSPORT_POLICY": "Relay"}, "s.VIDEO_ICE_TRANSPORT_POLICY"
    ) == ["relay"]
    for env, error in (
        ({"VIDEO_ICE_TRANSPORT_POLICY": "direct"}, "must be all or relay, not 'direct'"),
        # Relay with nothing to relay through would never connect a call.
        ({"VIDEO_ICE_TRANSPORT_POLICY": "relay"}, "relay needs TURN_URLS and TURN_SECRET"),
    ):
        result = manage("check", env={**os.environ, **env})
        assert result.returncode != 0
        assert error in result.stderr


def test_database_url_selects_postgresql():
    [engine] = settings_seen_with(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/tengja"},
        "s.DATABASES['default']['ENGINE']",
    )
    assert engine == "django.db.backends.postgresql"


def test_default_database_is_sqlite_under_var():
    engine, name = settings_seen_with(
        {},
        "s.DATABASES['default']['ENGINE']",
        "s.DATABASES['default']['NAME']",
        drop=("DATABASE_URL", "VAR_DIR"),
    )
    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == settings.BASE_DIR / "var" / "tengja.sqlite3"


def test_email_url_selects_smtp():
    values = settings_seen_with(
        {"EMAIL_URL": "submission://user:secret@smtp.example:587"},
        "s.EMAIL_BACKEND",
        "s.EMAIL_HOST",
        "s.EMAIL_PORT",
        "s.EMAIL_USE_TLS",
    )
    assert values == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example", "587", "True"]


def test_production_without_stripe_keys_fails_the_deploy_check_and_will_not_start():
    result = manage("check", "--deploy", env=WITHOUT_STRIPE)
    assert result.returncode != 0
    assert "tengja.E001" in result.stderr
    assert "STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET are not set" in (
        result.stderr
    )
    for server in ("tengja.asgi", "tengja.wsgi"):  # uvicorn's and gunicorn's
        started = subprocess.run(
            [sys.executable, "-c", f"import {server}"],
            cwd=ROOT,
            env={**WITHOUT_STRIPE, "DJANGO_SETTINGS_MODULE": "tengja.settings"},
            capture_output=True,
            text=True,
        )
        assert started.returncode != 0, server
        assert "Tengja will not start: Payments go through Stripe" in started.stderr


def test_production_refuses_the_local_provider_unless_a_demo_says_so():
    local = {**WITHOUT_STRIPE, "PAYMENT_PROVIDER": "local"}
    result = manage("check", "--deploy", env=local)
    assert result.returncode != 0
    assert "tengja.E002" in result.stderr and "takes no money" in result.stderr
    demo = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**local, "DEMO_FAKE_PAYMENTS": "true"},
    )
    assert demo.returncode != 0
    assert "tengja.W001" in demo.stderr and "no money moves" in demo.stderr


def test_at_run_time_the_local_provider_is_refused_with_debug_off(settings, alice):
    from tengja.billing.providers import ProviderError, get_provider
    from tengja.billing.services import BillingError, card_add

    settings.DEBUG = False
    settings.DEMO_FAKE_PAYMENTS = False
    with pytest.raises(ProviderError, match="not available"):
        get_provider("local")
    with pytest.raises((BillingError, ProviderError)):
        card_add(
            user=alice,
            data={"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
        )


def test_account_security_settings_come_from_the_environment():
    values = settings_seen_with(
        {
            "TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
            "EMAIL_LIMIT_PER_ADDRESS": "5/h",
            "EMAIL_LIMIT_PER_IP": "50/d",
            "SIGN_IN_LIMIT_PER_IP": "10/15m",
            "SIGNUP_LIMIT_PER_IP": "4/d",
            "REQUIRE_2FA_FOR_STAFF": "true",
            "DATA_EXPORT_TIMEOUT": "3600",
        },
        "','.join(s.TRUSTED_PROXIES)",
        "s.EMAIL_LIMIT_PER_ADDRESS",
        "s.EMAIL_LIMIT_PER_IP",
        "s.SIGN_IN_LIMIT_PER_IP",
        "s.SIGNUP_LIMIT_PER_IP",
        "s.REQUIRE_2FA_FOR_STAFF",
        "s.DATA_EXPORT_TIMEOUT",
    )
    assert values == ["10.0.0.0/8,192.0.2.1", "5/h", "50/d", "10/15m", "4/d", "True", "3600"]


def test_account_security_defaults():
    values = settings_seen_with(
        {},
        "len(s.TRUSTED_PROXIES)",
        "s.EMAIL_LIMIT_PER_ADDRESS",
        "s.EMAIL_LIMIT_PER_IP",
        "s.SIGN_IN_LIMIT_PER_IP",
        "s.SIGNUP_LIMIT_PER_IP",
        "s.REQUIRE_2FA_FOR_STAFF",
        "s.AXES_CLIENT_IP_CALLABLE",
        "s.RATELIMIT_IP_META_KEY",
        drop=(
            "TRUSTED_PROXIES",
            "EMAIL_LIMIT_PER_ADDRESS",
            "EMAIL_LIMIT_PER_IP",
            "SIGN_IN_LIMIT_PER_IP",
            "SIGNUP_LIMIT_PER_IP",
            "REQUIRE_2FA_FOR_STAFF",
        ),
    )
    assert values == [
        "0",
        "3/h",
        "20/h",
        "30/h",
        "10/h",
        "False",
        "tengja.lib.ip.client_ip",
        "tengja.lib.ip.client_ip",
    ]


@requires_postgres
def test_postgresql_plans_each_query_for_its_values(alice):
    """Statements are not prepared, however often a pooled connection runs them:
    a prepared one would be planned once for any values, and such a plan reads
    a person's whole history where a value (a status, a kind) decides which
    index reads least."""
    from django.db import connection

    from tengja.accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for _ in range(20):
        assert User.objects.filter(pk=alice.pk).first() == alice
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
