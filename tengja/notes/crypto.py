"""What a professional writes in a note is stored encrypted, with keys that live in
the settings (NOTES_KEYS), never in the database: a dump or a backup of the
database alone reveals nothing of it.

`MultiFernet`: the first key encrypts, every key decrypts, so a new key put first
(the old one kept after it) still reads every note, and `manage.py notes_rotate`
then encrypts them all again with the new key, after which the old can go.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "cipher", "rotate", "seal", "unseal"]


def cipher() -> MultiFernet:
    # Built on each call (cheap): a key changed in the settings takes effect at once.
    keys = settings.NOTES_KEYS
    if not keys:
        # Production with no key never stores a note in the clear (tengja.notes.checks).
        raise ImproperlyConfigured("NOTES_KEYS must be set: notes are encrypted with them")
    return MultiFernet([Fernet(key) for key in keys])


def seal(text: str) -> str:
    return cipher().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    return cipher().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """The same text encrypted again with the first key."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")
