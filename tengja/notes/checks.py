"""Notes fail closed: a production server with no key to encrypt them does not
start, and `check --deploy` says why (as payments do: tengja.billing.checks)."""

from django.conf import settings
from django.core import checks


def notes_key_problems() -> list[checks.CheckMessage]:
    if not settings.NOTES_KEYS:
        return [
            checks.Error(
                "NOTES_KEYS is not set: session notes could not be encrypted.",
                hint="Set NOTES_KEYS to one or more Fernet keys, comma-separated (see README).",
                id="tengja.E010",
            )
        ]
    return []


def refuse_to_start_without_notes_keys() -> None:
    """For the servers (tengja.asgi, tengja.wsgi) as they start."""
    for problem in notes_key_problems():
        raise RuntimeError(f"Tengja will not start: {problem.msg} {problem.hint}")


@checks.register(checks.Tags.security, deploy=True)
def check_notes_keys(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return notes_key_problems()
