from django.urls import reverse

URL = reverse("accounts:login")


def test_sign_in_with_email_in_any_case(client, alice, password):
    response = client.post(URL, {"username": "ALICE@Example.com", "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_wrong_password_says_so_and_does_not_sign_in(client, alice):
    response = client.post(URL, {"username": alice.email, "password": "wrong"})
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_email_gets_the_same_message(client, db):
    response = client.post(URL, {"username": "nobody@example.com", "password": "wrong"})
    assert "That email and password do not match an account" in response.content.decode()


def test_repeated_failures_lock_out_even_the_right_password(client, alice, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(URL, {"username": alice.email, "password": "guess"})
    response = client.post(URL, {"username": alice.email, "password": password})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_address_so_others_can_still_sign_in(client, alice, bob, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(URL, {"username": alice.email, "password": "guess"})
    response = client.post(URL, {"username": bob.email, "password": password})
    assert response.status_code == 302


def test_next_is_followed(client, alice, password):
    response = client.post(
        URL + "?next=/accounts/profile/",
        {"username": alice.email, "password": password, "next": "/accounts/profile/"},
    )
    assert response["Location"] == "/accounts/profile/"


def test_sign_out_needs_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_pages_need_sign_in(client, db):
    for name in ("accounts:profile", "billing:payments", "accounts:password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(URL)


def test_csrf_is_enforced_on_sign_in(alice, password):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(URL, {"username": alice.email, "password": password})
    assert response.status_code == 403


def test_changing_the_case_of_the_address_does_not_escape_lockout(
    client, alice, password, settings
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        variant = alice.email.upper() if attempt % 2 else alice.email
        client.post(URL, {"username": variant, "password": "guess"})
    response = client.post(URL, {"username": "Alice@Example.COM", "password": password})
    assert response.status_code == 429


def test_the_page_names_the_product_not_the_host(client, db):
    body = client.get(URL, HTTP_HOST="127.0.0.1").content.decode()
    assert "<title>Sign in · Tengja</title>" in body
    assert '<a class="brand" href="/">Tengja</a>' in body
    assert "127.0.0.1" not in body
