"""How a person is signed in and found again on each request (AUTHENTICATION_BACKENDS)."""

from django.contrib.auth.backends import ModelBackend

# What views that sign a person in themselves (a new account) pass to `login`.
USER_BACKEND = "tengja.accounts.backends.UserBackend"


class UserBackend(ModelBackend):
    """Django's ModelBackend as it is. It has its own name only because every
    signed-in session records the dotted path of the backend that signed it in,
    and Django signs out a session whose path is no longer in
    AUTHENTICATION_BACKENDS: renaming it would sign everybody out."""
