import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tengja.video.ice import ice_servers_for, turn_credentials
from tests.factories import BookingFactory, SessionTypeFactory


@pytest.fixture
def booking(alice, professional):
    kind = SessionTypeFactory(professional=professional)
    return BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(minutes=10)
    )


def config(response) -> dict:
    body = response.content.decode()
    start = body.index('<script id="video-config" type="application/json">') + len(
        '<script id="video-config" type="application/json">'
    )
    return json.loads(body[start : body.index("</script>", start)])


def test_client_gets_device_check_with_config(client, alice, booking):
    client.force_login(alice)
    response = client.get(reverse("video:join", args=[booking.code]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Test your camera and microphone",
        "Join session",
        "encrypted end to end",
        "does not record it",
    ):
        assert text in body
    data = config(response)
    assert data["role"] == "client"
    assert data["ws_path"] == f"/ws/sessions/{booking.code}/"
    assert data["other_name"] == "Helga Sigurðardóttir"
    assert data["ice_servers"] == []  # none needed on one machine
    assert data["ice_transport_policy"] == "all"


def test_relay_only_reaches_the_page_with_turn_credentials(client, alice, booking, settings):
    settings.TURN_URLS = ["turn:turn.example:443?transport=tcp"]
    settings.TURN_SECRET = "s3cret"
    settings.VIDEO_ICE_TRANSPORT_POLICY = "relay"
    client.force_login(alice)
    data = config(client.get(reverse("video:join", args=[booking.code])))
    assert data["ice_transport_policy"] == "relay"
    [turn] = data["ice_servers"]
    assert turn["urls"] == settings.TURN_URLS
    assert turn["username"].endswith(f":{alice.pk}")


def test_professional_gets_the_other_role(client, professional, booking):
    client.force_login(professional.user)
    assert config(client.get(reverse("video:join", args=[booking.code])))["role"] == "professional"


def test_no_recording_feature_exists(client, alice, booking):
    client.force_login(alice)
    assert "record" not in client.get(
        reverse("video:join", args=[booking.code])
    ).content.decode().lower().replace("does not record it", "")


def test_strangers_get_404(client, bob, other_professional, booking):
    for person in (bob, other_professional.user):
        client.force_login(person)
        assert client.get(reverse("video:join", args=[booking.code])).status_code == 404


def test_outside_the_window_the_page_says_when(client, alice, professional):
    kind = SessionTypeFactory(professional=professional)
    later = BookingFactory(
        client=alice, session_type=kind, starts_at=timezone.now() + timedelta(hours=3)
    )
    client.force_login(alice)
    response = client.get(reverse("video:join", args=[later.code]))
    assert response.status_code == 403
    assert "You can join from 15 minutes before the start" in response.content.decode()


def test_session_page_join_button_is_live_in_the_window(client, alice, booking):
    client.force_login(alice)
    body = client.get(reverse("bookings:detail", args=[booking.code])).content.decode()
    assert f'href="{reverse("video:join", args=[booking.code])}">Join video session' in body
    home = client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{reverse("video:join", args=[booking.code])}">Join video session' in home


def test_turn_credentials_follow_the_rest_api_scheme(settings):
    settings.TURN_SECRET = "shared-with-coturn"
    settings.TURN_CREDENTIAL_TTL = 3600
    username, credential = turn_credentials(user_id=42, now=1_000_000)
    assert username == "1003600:42"
    expected = base64.b64encode(
        hmac.new(b"shared-with-coturn", b"1003600:42", hashlib.sha1).digest()
    ).decode()
    assert credential == expected


def test_ice_servers_from_settings(settings):
    settings.STUN_URLS = ["stun:stun.example:3478"]
    settings.TURN_URLS = ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349"]
    settings.TURN_SECRET = "s3cret"
    servers = ice_servers_for(user_id=1)
    assert servers[0] == {"urls": ["stun:stun.example:3478"]}
    assert servers[1]["urls"] == settings.TURN_URLS
    expiry = int(servers[1]["username"].split(":")[0])
    assert expiry > timezone.now().timestamp()
