"""The signalling consumer refuses a client whose professional still waits for
required details, and seats them once given (tests/video's style)."""

import pytest
from channels.db import database_sync_to_async

from tengja.intake.models import ClientDetails, Detail
from tests.video.test_consumer import expect_refused, make_booking, open_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def require_phone(booking):
    booking.professional.required_details = [Detail.PHONE]
    booking.professional.save(update_fields=["required_details"])
    return booking.client, booking.professional.user


@database_sync_to_async
def give_phone(booking):
    ClientDetails.objects.create(
        professional=booking.professional, client=booking.client, phone="5551234"
    )


async def test_a_client_without_the_details_is_refused_until_given():
    booking = await make_booking()
    client_user, pro_user = await require_phone(booking)
    await expect_refused(*await open_socket(booking, client_user))
    # The professional may wait in the room meanwhile.
    pro_ws, connected = await open_socket(booking, pro_user)
    assert connected
    await pro_ws.disconnect()
    await give_phone(booking)
    communicator, connected = await open_socket(booking, client_user)
    assert connected
    assert await communicator.receive_nothing()
    await communicator.disconnect()
