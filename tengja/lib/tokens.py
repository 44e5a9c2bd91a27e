"""Secret tokens for links: random, sent once in the clear, stored only as a hash."""

import hashlib
import secrets


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_make() -> tuple[str, str]:
    """A new token and its hash. Send the first; store the second."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)
