"""The conversation list, a conversation, its files, and the buttons: for the two
people only (everyone else 404), bad input a 400 with nothing kept."""

import pytest
from django.urls import reverse

from tengja.messaging.models import Conversation, Message
from tengja.messaging.selectors import unread_count
from tengja.messaging.services import conversation_close, message_send
from tests.factories import BookingFactory, ProfessionalFactory
from tests.messaging.conftest import pdf, pdf_bytes

pytestmark = pytest.mark.django_db


def url(conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.code])


def test_the_two_see_the_conversation_and_others_get_404(
    client, conversation, alice, bob, professional, other_professional
):
    message_send(conversation=conversation, sender=alice, body="<b>Hi</b>\nsecond line")
    client.force_login(professional.user)
    page = client.get(url(conversation)).content.decode()
    assert 'id="message-list"' in page and f'data-conversation="{conversation.code}"' in page
    assert "&lt;b&gt;Hi&lt;/b&gt;<br>second line" in page
    assert alice.name in page
    for stranger in (bob, other_professional.user):
        client.force_login(stranger)
        assert client.get(url(conversation)).status_code == 404
        assert client.post(url(conversation), {"body": "x"}).status_code == 404
    assert Message.objects.count() == 1


def test_reading_the_page_marks_it_read(client, conversation, alice, professional):
    message_send(conversation=conversation, sender=alice, body="Hi")
    assert unread_count(user=professional.user) == 1
    client.force_login(professional.user)
    inbox = client.get(reverse("messaging:inbox")).content.decode()
    assert "Unread" in inbox
    client.get(url(conversation))
    assert unread_count(user=professional.user) == 0
    assert "Unread" not in client.get(reverse("messaging:inbox")).content.decode()


def test_sending_from_the_page(client, conversation, alice):
    client.force_login(alice)
    response = client.post(url(conversation), {"body": "Can we move Tuesday?", "file": pdf()})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.body == "Can we move Tuesday?" and message.file_name == "report.pdf"
    page = client.get(url(conversation)).content.decode()
    assert reverse("messaging:file", args=[message.code]) in page
    assert "report.pdf" in page


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"body": ""}, "Write a message or choose a file to send."),
        ({"body": "x" * 5001}, "A message can be at most 5000 characters long"),
    ],
)
def test_a_bad_message_is_a_400_and_nothing_is_kept(client, conversation, alice, data, said):
    client.force_login(alice)
    response = client.post(url(conversation), data)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not Message.objects.exists()


def test_ten_megabytes_are_accepted_and_one_byte_more_is_a_form_error(
    client, conversation, alice, settings
):
    client.force_login(alice)
    limit = settings.MESSAGE_FILE_MAX_BYTES
    response = client.post(url(conversation), {"body": "", "file": pdf(size=limit + 1)})
    assert response.status_code == 400
    assert "The file is too large. Send a file of at most 10 MB." in response.content.decode()
    assert not Message.objects.exists()
    response = client.post(url(conversation), {"body": "", "file": pdf(size=limit)})
    assert response.status_code == 302
    assert Message.objects.get().file_size == limit


def test_the_file_goes_to_the_two_only_as_a_private_attachment(
    client, conversation, alice, bob, professional
):
    message = message_send(
        conversation=conversation, sender=alice, body="", file=pdf("Skýrsla.pdf")
    )
    file_url = reverse("messaging:file", args=[message.code])
    client.force_login(professional.user)
    response = client.get(file_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Sk%C3%BDrsla.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    client.force_login(bob)
    assert client.get(file_url).status_code == 404
    client.logout()
    assert client.get(file_url).status_code == 302


def test_remove_asks_first_then_both_see_message_removed(client, conversation, alice, professional):
    message = message_send(
        conversation=conversation, sender=alice, body="Sent too soon", file=pdf()
    )
    remove = reverse("messaging:remove", args=[message.code])
    client.force_login(professional.user)
    assert client.post(remove, {"confirm": "1"}).status_code == 404  # not theirs
    client.force_login(alice)
    assert client.get(remove).status_code == 405
    asked = client.post(remove)
    assert asked.status_code == 200 and "Remove this message?" in asked.content.decode()
    message.refresh_from_db()
    assert not message.is_removed
    assert client.post(remove, {"confirm": "1"}).status_code == 302
    message.refresh_from_db()
    assert message.is_removed
    for person in (alice, professional.user):
        client.force_login(person)
        page = client.get(url(conversation)).content.decode()
        assert "Message removed" in page and "Sent too soon" not in page
        assert client.get(reverse("messaging:file", args=[message.code])).status_code == 404


def test_the_professional_closes_and_the_client_sees_how_to_reach_them(
    client, conversation, alice, professional
):
    client.force_login(alice)
    close = reverse("messaging:close", args=[conversation.code])
    assert client.post(close, {"note": "x"}).status_code == 404
    client.force_login(professional.user)
    page = client.get(url(conversation)).content.decode()
    assert "Close the conversation" in page
    response = client.post(close, {"note": "Call the clinic: 555 1234"})
    assert response.status_code == 302
    client.force_login(alice)
    page = client.get(url(conversation)).content.decode()
    assert "Call the clinic: 555 1234" in page and "has closed this conversation" in page
    assert "Send a message" not in page
    assert client.post(url(conversation), {"body": "Hello?"}).status_code == 400
    assert not Message.objects.exists()
    client.force_login(professional.user)
    assert client.post(reverse("messaging:reopen", args=[conversation.code])).status_code == 302
    conversation.refresh_from_db()
    assert not conversation.is_closed


def test_a_too_long_closing_note_is_a_400(client, conversation, professional):
    client.force_login(professional.user)
    response = client.post(
        reverse("messaging:close", args=[conversation.code]), {"note": "x" * 1001}
    )
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert not conversation.is_closed


def test_the_message_buttons_start_a_conversation(client, session, alice, professional):
    client.force_login(alice)
    for page in (
        reverse("bookings:detail", args=[session.code]),
        reverse("dashboard:connection", args=[professional.code]),
    ):
        assert reverse("messaging:start") in client.get(page).content.decode()
    response = client.post(reverse("messaging:start"), {"professional": professional.code})
    found = Conversation.objects.get()
    assert response.url == url(found)
    client.force_login(professional.user)
    for page in (
        reverse("bookings:detail", args=[session.code]),
        reverse("dashboard:practice_client", args=[alice.code]),
    ):
        assert reverse("messaging:start") in client.get(page).content.decode()
    response = client.post(reverse("messaging:start"), {"client": alice.code})
    assert response.url == url(found)
    assert Conversation.objects.count() == 1


def test_no_conversation_without_a_session_together(client, alice, bob, professional, session):
    client.force_login(bob)
    response = client.post(reverse("messaging:start"), {"professional": professional.code})
    assert response.status_code == 404
    client.force_login(professional.user)
    assert client.post(reverse("messaging:start"), {"client": bob.code}).status_code == 404
    client.force_login(alice)  # a client is no professional
    assert client.post(reverse("messaging:start"), {"client": bob.code}).status_code == 404
    assert not Conversation.objects.exists()


def test_a_professional_who_is_also_a_client_sees_both(client, alice, professional, session):
    therapist = ProfessionalFactory()
    BookingFactory(client=professional.user, session_type__professional=therapist)
    from tengja.messaging.services import conversation_start

    conversation_start(client=alice, professional=professional)
    conversation_start(client=professional.user, professional=therapist)
    client.force_login(professional.user)
    page = client.get(reverse("messaging:inbox")).content.decode()
    assert alice.name in page and therapist.user.name in page
    assert "Your client" in page and "Your professional" in page


def test_closed_conversation_still_lists_and_shows(client, conversation, alice, professional):
    conversation_close(conversation=conversation, professional=professional, note="")
    client.force_login(alice)
    assert "Closed" in client.get(reverse("messaging:inbox")).content.decode()
