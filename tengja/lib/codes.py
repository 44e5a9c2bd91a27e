"""Random names for objects in URLs: they say nothing about how many rows there
are, and cannot be guessed from a neighbour's."""

import secrets


def public_code() -> str:
    """72 random bits, 12 URL-safe characters."""
    return secrets.token_urlsafe(9)
