import pytest

from tests.messaging.helpers import messages_list_url


@pytest.fixture(autouse=True)
def _messages_list_url(settings):
    with messages_list_url(settings):
        yield
