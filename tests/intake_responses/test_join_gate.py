"""A session whose type requires a form the client has not completed cannot start:
the Join button says why, the join page refuses, the signalling seat refuses; all
open once the form is sent or the consent signed."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from tengja.bookings.gates import join_blockers
from tengja.bookings.models import Booking
from tengja.intake.models import FormResponse, IntakeForm
from tengja.intake.responses import response_open, response_sign, response_submit
from tengja.video.access import seat_for
from tests.factories import BookingFactory, SessionTypeFactory
from tests.video.test_consumer import expect_refused, open_socket

REASON = "Sign “Samþykki fyrir fjarmeðferð” before the call can start."


def sign(consent, alice):
    return response_sign(
        response=response_open(form=consent, client=alice),
        answers={"video_ok": "yes"},
        name=alice.name,
    )


def test_the_join_button_join_page_and_seat_wait_for_the_signature(client, alice, consent, booking):
    client.force_login(alice)
    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert 'aria-disabled="true"' in page and REASON in page
    join = client.get(reverse("video:join", args=[booking.code]))
    assert join.status_code == 403 and REASON in join.content.decode()
    assert seat_for(user=alice, code=booking.code) is None
    # The professional is never held back by the client's forms.
    assert seat_for(user=booking.professional.user, code=booking.code) is not None
    sign(consent, alice)
    page = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert REASON not in page
    assert client.get(reverse("video:join", args=[booking.code])).status_code == 200
    assert seat_for(user=alice, code=booking.code) is not None


def test_an_intake_form_must_be_sent(alice, intake, booking):
    assert join_blockers([booking]) == {
        booking.pk: "Fill in “Inntökueyðublað” before the call can start."
    }
    draft = response_open(form=intake, client=alice)
    assert join_blockers([booking])  # a draft is not enough
    response_submit(response=draft, answers={"name": "A", "mood": "Góð"})
    assert join_blockers([booking]) == {}


def test_forms_out_of_use_or_of_other_types_do_not_block(alice, consent, booking, professional):
    other = BookingFactory(
        client=alice,
        session_type=SessionTypeFactory(professional=professional),
        starts_at=timezone.now() + timedelta(days=2),
    )
    assert set(join_blockers([booking, other])) == {booking.pk}
    IntakeForm.objects.filter(pk=consent.pk).update(is_active=False)
    assert join_blockers([booking, other]) == {}


def test_home_shows_the_reason_on_the_join_button(client, alice, consent, booking):
    client.force_login(alice)
    home = client.get(reverse("dashboard:home")).content.decode()
    assert REASON in home


def test_one_clients_signature_opens_nobody_elses_call(alice, bob, consent, booking):
    bobs = BookingFactory(client=bob, session_type=booking.session_type)
    sign(consent, alice)
    assert set(join_blockers([booking, bobs])) == {bobs.pk}


def test_the_gate_costs_the_same_for_many_sessions_and_forms(
    alice, professional, django_assert_num_queries
):
    kinds = [SessionTypeFactory(professional=professional) for _ in range(5)]
    for i in range(100):
        form = IntakeForm.objects.create(professional=professional, title=f"F{i}")
        form.session_types.add(kinds[i % 5])
        if i % 2:
            FormResponse.objects.create(
                form=form, client=alice, professional=professional, state="submitted"
            )
    bookings = [
        BookingFactory(
            client=alice,
            session_type=kinds[i % 5],
            starts_at=timezone.now() + timedelta(days=1, hours=i),
        )
        for i in range(300)
    ]
    with django_assert_num_queries(2):
        reasons = join_blockers(bookings)
    assert len(reasons) == 300
    with django_assert_num_queries(2):
        join_blockers(bookings[:2])


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_signalling_seat_is_refused_until_signed():
    from tests.factories import UserFactory

    def build():
        client = UserFactory(name="Sara Sól")
        kind = SessionTypeFactory()
        form = IntakeForm.objects.create(
            professional=kind.professional, kind="consent", title="Samþykki", body="Já."
        )
        form.session_types.add(kind)
        booking = BookingFactory(
            client=client, session_type=kind, starts_at=timezone.now() + timedelta(minutes=5)
        )
        return client, form, booking

    client, form, booking = await database_sync_to_async(build)()
    await expect_refused(*await open_socket(booking, client))
    await database_sync_to_async(
        lambda: response_sign(
            response=response_open(form=form, client=client), answers={}, name="sara sól"
        )
    )()
    communicator, connected = await open_socket(booking, client)
    assert connected
    assert await communicator.receive_nothing()
    await communicator.disconnect()
    assert (
        await database_sync_to_async(lambda: Booking.objects.get(pk=booking.pk).status)()
        == Booking.Status.CONFIRMED
    )
