import pytest

from tests.factories import BookingFactory


@pytest.fixture
def session(alice, professional):
    """Alice's session to come with her professional (in more than 3 days)."""
    from datetime import timedelta

    from django.utils import timezone

    return BookingFactory(
        client=alice,
        session_type__professional=professional,
        starts_at=timezone.now() + timedelta(days=10),
    )


def phq9(*values: int, difficulty: int | None = None) -> dict[str, str]:
    data = {str(n): str(v) for n, v in enumerate(values, start=1)}
    if difficulty is not None:
        data["difficulty"] = str(difficulty)
    return data
