"""Tengja's one settings module, read from environment variables.

Development is the default (as in healthchecks); production sets DEBUG=false,
SECRET_KEY, ALLOWED_HOSTS and the service URLs. The values, not the code, differ.
"""

import base64
import binascii
import hashlib
import ipaddress
import os
import re
import warnings
from pathlib import Path
from typing import Final

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """A variable, or the contents of the file named by NAME_FILE (for secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envrate(name: str, default: str) -> str:
    """A rate such as "3/h" (3 an hour); s, m, h and d are the units."""
    value = env(name, default).strip()
    if not re.fullmatch(r"[0-9]+/[0-9]*[smhd]", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 3/h, not {value!r}")
    return value


def redis_cache(location: str) -> dict:
    """The cache on Redis (django-redis: one connection pool per process, shared by
    every request's cache object). The cache only saves work, so Redis being away
    must cost speed, not pages: its errors are logged and each read is a miss,
    each write a no-op (IGNORE_EXCEPTIONS), and a Redis that does not answer is
    given up on quickly."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }


DEBUG = envbool("DEBUG", "true")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "development-only-secret-key-do-not-use-in-production"

HOST = env("HOST", "127.0.0.1")
PORT = envint("PORT", "8000")
# Absolute address used in e-mails, where no request is at hand.
SITE_URL = env("SITE_URL", f"http://{HOST}:{PORT}").rstrip("/")
SITE_NAME = "Tengja"
if not DEBUG and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be the site's https:// address when DEBUG is off")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "tengja.lib",
    "tengja.accounts",
    "tengja.professionals",
    "tengja.bookings",
    "tengja.intake",
    "tengja.measures",
    "tengja.notes",
    "tengja.messaging",
    "tengja.hubs",
    "tengja.billing",
    "tengja.video",
    "tengja.notifications",
    "tengja.wellbeing",
    "tengja.dashboard",
    "tengja.privacy",
    "tengja.devmail",
    "tengja.wiring",  # last: it depends on every app above (docs/architecture.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tengja.lib.middleware.permissions_policy_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tengja.lib.middleware.private_responses_middleware",
    "django_otp.middleware.OTPMiddleware",
    "tengja.accounts.middleware.preferences_middleware",
    "tengja.accounts.middleware.second_factor_required_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "tengja.lib.middleware.database_unavailable_middleware",
]

ROOT_URLCONF = "tengja.urls"
ASGI_APPLICATION = "tengja.asgi.application"
WSGI_APPLICATION = "tengja.wsgi.application"

FORM_RENDERER = "tengja.lib.forms.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tengja.lib.context_processors.site",
                "tengja.dashboard.context_processors.header",
            ],
        },
    },
]

# Database: an SQLite file by default, PostgreSQL (or any) through DATABASE_URL.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tengja.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests on SQLite use a file, so a server thread sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # WAL lets the web server read while the task worker writes; IMMEDIATE takes
    # the write lock at BEGIN so two writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "DATABASE_POOL", "true"
):
    # A few connections per process, shared by its requests, however many arrive.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": envint("DATABASE_POOL_SIZE", "10"),
        "timeout": 20,
    }
    # Statements are not prepared (Django's default): each is planned for its
    # own values. A prepared one is planned, after a few runs, once for any
    # values, and such a plan reads a person's whole history where a value
    # decides the index (a status, a kind; tests/test_growth.py).
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # Each consumer waits for its next message with a blocking
                        # read (BZPOPMIN) of up to 5 s; redis-py 8 gives up on any
                        # read after 5 s by default, which dropped every quiet call's
                        # socket. Reads may take the blocking 5 s and the round trip;
                        # a Redis that went silent is still noticed within 15 s.
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                    }
                ],
            },
        }
    }
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The embedded default's processes (server, task worker, clock) share one
    # cache on disk (the sign-in limits, the free times browse shows).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Each error the Redis cache ignores is logged, as one warning line (LOGGING below).
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Sessions are the database's, whatever the cache: a cache outage signs nobody out
# and stops nobody signing in.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Video: media flows between the two browsers; these help them find each other.
STUN_URLS = envlist("STUN_URLS", "")
TURN_URLS = envlist("TURN_URLS", "")
TURN_SECRET = env("TURN_SECRET")
TURN_CREDENTIAL_TTL = envint("TURN_CREDENTIAL_TTL", str(6 * 60 * 60))
# "relay": every call goes through the TURN servers, so it works behind a firewall
# that lets out only the TURN server's port, and neither participant's browser
# learns the other's IP address. "all" (the default): direct when possible.
VIDEO_ICE_TRANSPORT_POLICY = env("VIDEO_ICE_TRANSPORT_POLICY", "all").strip().lower()
if VIDEO_ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured(
        f"VIDEO_ICE_TRANSPORT_POLICY must be all or relay, not {VIDEO_ICE_TRANSPORT_POLICY!r}"
    )
if VIDEO_ICE_TRANSPORT_POLICY == "relay" and not (TURN_URLS and TURN_SECRET):
    raise ImproperlyConfigured("VIDEO_ICE_TRANSPORT_POLICY=relay needs TURN_URLS and TURN_SECRET")
VIDEO_GRACE_MINUTES = envint("VIDEO_GRACE_MINUTES", "10")

# Payments: Stripe in production; the local test provider (fake cards, no money
# moves) in development. Production never falls back to it quietly: with DEBUG
# off it is Stripe unless the operator sets PAYMENT_PROVIDER=local and
# DEMO_FAKE_PAYMENTS=true, and missing Stripe keys stop the server and fail
# `check --deploy` (tengja/billing/checks.py).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")  # only for tests against recorded responses
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "stripe" if STRIPE_SECRET_KEY or not DEBUG else "local")
if PAYMENT_PROVIDER not in ("stripe", "local"):
    raise ImproperlyConfigured(
        f"PAYMENT_PROVIDER must be stripe or local, not {PAYMENT_PROVIDER!r}"
    )
DEMO_FAKE_PAYMENTS = envbool("DEMO_FAKE_PAYMENTS", "false")

# Session notes (tengja.notes) are encrypted with these Fernet keys, comma-separated:
# the first encrypts, all decrypt (put a new key first, keep the old, then run
# `manage.py notes_rotate`). With DEBUG on, a key derived from SECRET_KEY; with DEBUG
# off there is none, and the servers will not start (tengja/notes/checks.py).
NOTES_KEYS = envlist("NOTES_KEYS", "")
if not NOTES_KEYS and DEBUG:
    _derived = hashlib.sha256(f"tengja.notes:{SECRET_KEY}".encode()).digest()
    NOTES_KEYS = [base64.urlsafe_b64encode(_derived).decode("ascii")]
for _key in NOTES_KEYS:
    try:
        _valid = len(base64.urlsafe_b64decode(_key.encode("ascii"))) == 32
    except (binascii.Error, ValueError):
        _valid = False
    if not _valid:
        raise ImproperlyConfigured(
            "NOTES_KEYS must be Fernet keys (32 bytes in URL-safe base64), comma-separated"
        )

# HR sees a hub's usage only for groups at least this large: below it, "fewer than N".
HUB_REPORTING_MIN_GROUP = envint("HUB_REPORTING_MIN_GROUP", "5")

# Free slots start at least this long from now.
SLOT_MIN_NOTICE_HOURS = envint("SLOT_MIN_NOTICE_HOURS", "12")

# Accounts and passwords
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockouts first (django-axes); then passwords and the signed-in user: Django's
# ModelBackend, under the name sessions record (tengja.accounts.backends).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "tengja.accounts.backends.UserBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", str(60 * 60))
EMAIL_CHANGE_TIMEOUT = envint("EMAIL_CHANGE_TIMEOUT", str(24 * 60 * 60))
# Two-step sign-in (django-otp): an authenticator app's codes (TOTP), and ten
# recovery codes. With REQUIRE_2FA_FOR_STAFF, professionals and HR admins must set
# it up before anything else once signed in; for clients it is their choice.
REQUIRE_2FA_FOR_STAFF = envbool("REQUIRE_2FA_FOR_STAFF", "false")
OTP_TOTP_ISSUER = SITE_NAME
# How long the code may take after the password is accepted.
SIGN_IN_CODE_TIMEOUT = 5 * 60
# django-otp's own slow-down after wrong codes is the account's, whoever typed
# them: anyone with the password could keep the owner out with wrong codes. Wrong
# codes are limited per account and client address instead (SIGN_IN_CODE_LIMIT_*).
OTP_TOTP_THROTTLE_FACTOR = 0

# How long an operator's invitation to join as a professional works.
PROFESSIONAL_INVITATION_TIMEOUT = envint("PROFESSIONAL_INVITATION_TIMEOUT", str(7 * 24 * 60 * 60))
TERMS_VERSION = "2026-11-01"

# Five failures for one address from one IP lock that pair out for 15 minutes;
# the pair (not the address alone) so nobody can lock a stranger out at will.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tengja.accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# One function says who the client is, for the lockout and for the rate limits:
# REMOTE_ADDR, or behind the proxies listed here (addresses or networks), the
# right-most address in X-Forwarded-For that is not one of them. None by default,
# so a forged X-Forwarded-For changes nothing.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list addresses or networks, not {_proxy!r}"
        ) from None
AXES_CLIENT_IP_CALLABLE = "tengja.lib.ip.client_ip"

# Rate limits (django-ratelimit, on the default cache: Redis when REDIS_URL is set,
# so they hold across processes; with Redis away, tengja.lib.limits says which
# limits let requests through). "N/h" is N per hour; m, s and d work too.
# E-mails that a request makes us send (password reset, work-address confirmation,
# change of e-mail, data export): per address written to, and per client address.
EMAIL_LIMIT_PER_ADDRESS = envrate("EMAIL_LIMIT_PER_ADDRESS", "3/h")
EMAIL_LIMIT_PER_IP = envrate("EMAIL_LIMIT_PER_IP", "20/h")
# Failed sign-ins from one client address, whatever the accounts (password spraying).
SIGN_IN_LIMIT_PER_IP = envrate("SIGN_IN_LIMIT_PER_IP", "30/h")
# Wrong codes at the second step of signing in (two-step sign-in), beyond the
# lockout above (which counts them with wrong passwords): for one account from one
# client address, and for one account from anywhere. One address never reaches the
# account's limit, so only someone typing from several can pause its owner; and the
# account's limit is what bounds guessing (SECURITY.md says how far).
SIGN_IN_CODE_LIMIT_PER_IP = envrate("SIGN_IN_CODE_LIMIT_PER_IP", "10/d")
SIGN_IN_CODE_LIMIT_PER_ACCOUNT = envrate("SIGN_IN_CODE_LIMIT_PER_ACCOUNT", "30/d")
# Accounts made from one client address (sign-up, hub join, accepted invitations).
SIGNUP_LIMIT_PER_IP = envrate("SIGNUP_LIMIT_PER_IP", "10/h")
RATELIMIT_IP_META_KEY = "tengja.lib.ip.client_ip"
# Whether a limit the cache cannot count lets a request through is decided per
# limit in tengja.lib.limits; django-ratelimit is told to report it, not decide.
RATELIMIT_FAIL_OPEN = False

# Languages and time zones
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("is", "Íslenska")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tengja.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Atlantic/Reykjavik")
LANGUAGE_COOKIE_NAME = "tengja_language"
LANGUAGE_COOKIE_SAMESITE: Final = "Lax"

# Static and media files
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
SERVE_MEDIA = envbool("SERVE_MEDIA", "true" if DEBUG else "false")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
PICTURE_MAX_BYTES = 5 * 1024 * 1024
PICTURE_MAX_PIXELS = 16_000_000
PICTURE_SIZE = 512

# "Download my data": ZIP files wait here (never under MEDIA_ROOT, which may be
# served) until downloaded once, or until the link expires.
DATA_EXPORT_ROOT = Path(env("DATA_EXPORT_ROOT", str(VAR_DIR / "exports")))
DATA_EXPORT_TIMEOUT = envint("DATA_EXPORT_TIMEOUT", str(48 * 60 * 60))

# Files sent in messages (tengja.messaging): never under MEDIA_ROOT, served only
# to the conversation's two people through a view that checks who asks.
MESSAGE_FILES_ROOT = Path(env("MESSAGE_FILES_ROOT", str(VAR_DIR / "message-files")))
MESSAGE_FILE_MAX_BYTES = 10 * 1024 * 1024
# A message's image is re-encoded no larger than this on its longer side (pixels).
MESSAGE_IMAGE_MAX_SIDE = 2560
# Messages one person may send (any conversation), and how many of them may carry a file.
MESSAGE_LIMIT_PER_SENDER = envrate("MESSAGE_LIMIT_PER_SENDER", "30/10m")
MESSAGE_FILE_LIMIT_PER_SENDER = envrate("MESSAGE_FILE_LIMIT_PER_SENDER", "20/h")
# A message still unread this long after it came is told of by e-mail (never its text).
MESSAGE_EMAIL_AFTER_SECONDS = 10 * 60

# E-mail: files under var/mail/ by default (read them at /dev/mail/), SMTP via EMAIL_URL.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Tengja <no-reply@tengja.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env("EMAIL_URL")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
    # An SMTP server that stops answering must not hold a worker's batch for ever
    # (?timeout= in EMAIL_URL sets another).
    EMAIL_TIMEOUT: int = EMAIL_TIMEOUT or 30  # noqa: F821 (set by the line above)
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", "tengja.lib.mail.EmlFileBackend")
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# Security. Production (DEBUG off) gets the strict values; each can be overridden.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", str(not DEBUG))
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", str(not DEBUG))
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(not DEBUG))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 60 * 60))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(not DEBUG))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The browser's powerful features, off on every page (tengja.lib.middleware); the
# call page turns on the camera, microphone, screen sharing and the choice of
# speaker for this origin. (Features Chromium knows: it warns of any other.)
# Autoplay is left alone: the call plays the other person's video. `payment` stays
# off with Stripe too: the card Element needs no Payment Request API (a wallet
# button, Apple Pay or Google Pay, would, and only on its own page).
PERMISSIONS_POLICY = dict.fromkeys(
    [
        "accelerometer",
        "browsing-topics",
        "camera",
        "captured-surface-control",
        "clipboard-read",
        "compute-pressure",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "identity-credentials-get",
        "idle-detection",
        "local-fonts",
        "local-network-access",
        "magnetometer",
        "microphone",
        "midi",
        "otp-credentials",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "speaker-selection",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    ],
    "()",
)
if envbool("BEHIND_HTTPS_PROXY", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"] if DEBUG else ["'self'", "wss:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
if PAYMENT_PROVIDER == "stripe":
    # Stripe.js and its Elements frames (card numbers go straight to Stripe).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"].append("https://js.stripe.com")
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-src"] += [
        "https://js.stripe.com",
        "https://hooks.stripe.com",
    ]
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append("https://api.stripe.com")

# WhiteNoise hands Django's ASGI handler a file iterator; serving it is correct, the
# warning about it is noise.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

# Outcome measures (tengja.measures): who a client is shown right after an answer
# to PHQ-9 item 9 (thoughts of self-harm) above 0. Each name and description is
# a text or {language code: text}.
CRISIS_CONTACTS = [
    {
        "name": {
            "en": "Red Cross helpline (Hjálparsími Rauða krossins)",
            "is": "Hjálparsími Rauða krossins",
        },
        "phone": "1717",
        "description": {
            "en": "Free, confidential support, open day and night. You can also chat at 1717.is.",
            "is": "Ókeypis og trúnaðarmál, opið allan sólarhringinn. Einnig netspjall á 1717.is.",
        },
    },
    {
        "name": {"en": "Emergency (Neyðarlínan)", "is": "Neyðarlínan"},
        "phone": "112",
        "description": {
            "en": "If you are in danger now, or might act on these thoughts, call 112.",
            "is": "Ef þú ert í hættu núna, eða gætir farið eftir þessum hugsunum, hringdu í 112.",
        },
    },
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"cache_errors": {"()": "tengja.lib.logs.CacheErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django_redis.cache": {"filters": ["cache_errors"]},
    },
}
