import io
import itertools
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tengja.accounts.models import User
from tengja.bookings.models import Booking
from tengja.hubs.models import Hub, HubDomain
from tengja.professionals.models import Professional, SessionType, WeeklyAvailability


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True


def test_demo_refuses_to_run_in_production(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="for development"):
        run_demo()
    assert not User.objects.exists()


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict:
    models = (User, Professional, SessionType, WeeklyAvailability, Hub, HubDomain, Booking)
    return {model.__name__: model.objects.count() for model in models}


def test_demo_is_idempotent(db):
    run_demo()
    first = counts()
    run_demo()
    assert counts() == first
    assert first["User"] == 5 + 12  # the five to sign in as, and the hub's colleagues
    assert first["Booking"] >= 3


def test_json_output_gives_the_way_in(client, db, settings):
    data = json.loads(run_demo("--json"))
    assert set(data) >= {
        "client",
        "professional",
        "hr_admin",
        "member",
        "operator",
        "hub_url",
        "hub_email_domain",
    }
    for role in ("client", "professional", "hr_admin", "member", "operator"):
        extra = {"booking_url"} if role == "professional" else set()
        assert set(data[role]) == {"email", "password", "name", *extra}
        # The logins work through the real sign-in form.
        response = client.post(
            "/accounts/login/",
            {"username": data[role]["email"], "password": data[role]["password"]},
        )
        assert response.status_code == 302, role
        client.post("/accounts/logout/")
    hub_page = client.get(data["hub_url"])
    assert hub_page.status_code == 200
    assert "Create an account" in hub_page.content.decode()
    assert HubDomain.objects.filter(domain=data["hub_email_domain"]).exists()
    from tengja.hubs.models import HubProfessional

    assert HubProfessional.objects.filter(hub__domains__domain=data["hub_email_domain"]).exists()


def test_one_session_starts_within_the_next_15_minutes_on_every_run(db, time_machine):
    run_demo()
    time_machine.move_to(timezone.now() + timedelta(days=3))
    run_demo()
    now = timezone.now()
    soon = Booking.objects.filter(
        starts_at__gt=now, starts_at__lte=now + timedelta(minutes=15), status="confirmed"
    )
    assert soon.count() == 1
    assert soon.get().client.email == "client@tengja.test"


def test_the_operator_runs_the_staff_page_with_one_invitation_waiting(client, db, mailoutbox):
    from tengja.professionals.models import ProfessionalInvitation

    data = json.loads(run_demo("--json"))
    run_demo()
    [invitation] = ProfessionalInvitation.objects.all()
    assert invitation.email == "new.professional@tengja.test" and invitation.is_open
    client.post(
        "/accounts/login/",
        {"username": data["operator"]["email"], "password": data["operator"]["password"]},
    )
    body = client.get("/staff/professionals/").content.decode()
    assert "new.professional@tengja.test" in body and "Helga Sigurðardóttir" in body


def test_the_hub_member_browses_the_hub_with_this_periods_credits(client, db, time_machine):
    data = json.loads(run_demo("--json"))
    run_demo()  # a second run grants nothing more
    member = data["member"]

    def browse() -> str:
        client.post(
            "/accounts/login/", {"username": member["email"], "password": member["password"]}
        )
        return client.get(data["hub_url"] + "professionals/").content.decode()

    page = browse()
    assert "6 credits left" in page and "Helga Sigurðardóttir" in page
    # A year on, the next demo run (like the clock) grants the new period's credits.
    time_machine.move_to(timezone.now() + timedelta(days=400))
    assert "0 credits left" in browse()
    run_demo()
    assert "6 credits left" in browse()


def test_the_demo_has_a_therapists_week_to_try(client, db, django_capture_on_commit_callbacks):
    """Issue 28: a past session to mark done, one to record as a no-show, a
    weekly series, a blocked day, and a year of done and paid sessions for the
    practice page's chart; run again, what was tried on a session is undone."""
    from tengja.billing.models import Invoice
    from tengja.bookings.services import booking_cancel
    from tengja.professionals.models import AvailabilityException

    with django_capture_on_commit_callbacks(execute=True):
        run_demo()
    pro = Professional.objects.get(user__email="professional@tengja.test")
    for code in ("demo-last-week", "demo-yesterday"):
        assert Booking.objects.get(code=code).state() == Booking.State.ENDED
        assert Invoice.objects.get(booking__code=code).status == Invoice.Status.OPEN
    series = Booking.objects.filter(code__startswith="demo-series-").order_by("starts_at")
    assert series.count() == 6 and len({b.series_id for b in series}) == 1
    gaps = {b.starts_at - a.starts_at for a, b in itertools.pairwise(series)}
    assert gaps == {timedelta(weeks=1)}
    assert AvailabilityException.objects.filter(
        professional=pro, kind="off", starts__isnull=True, label="Demo: holiday"
    ).exists()
    history = Booking.objects.filter(code__startswith="demo-history-")
    assert history.count() == 11
    assert all(b.state() == Booking.State.DONE for b in history)
    assert Invoice.objects.filter(booking__in=history, status=Invoice.Status.PAID).count() == 11

    # Trying the no-show, then loading the demo again: planned as it was.
    booking = Booking.objects.get(code="demo-yesterday")
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=pro.user, reason=Booking.CancelReason.NO_SHOW)
        run_demo()
    assert Booking.objects.get(code="demo-yesterday").state() == Booking.State.ENDED
    client.force_login(User.objects.get(pk=pro.user_id))  # its password was set again
    response = client.get(reverse("bookings:practice"))
    assert response.status_code == 200, response
    page = response.content.decode()
    chart = page.split('class="month-chart__table"', 1)[1].split("</table>", 1)[0]
    assert chart.count("<tr") == 13  # a heading and twelve months
    assert chart.count("18,000") >= 11  # each past month's session, paid


def test_the_demo_professional_has_a_consent_and_an_intake_form(db):
    """Issue 29: the telehealth consent required by the video session type, and
    the general intake; once, however often the demo runs."""
    from tengja.intake.models import IntakeForm

    run_demo()
    run_demo()
    pro = Professional.objects.get(user__email="professional@tengja.test")
    consent = pro.intake_forms.get(kind=IntakeForm.Kind.CONSENT)
    intake = pro.intake_forms.get(kind=IntakeForm.Kind.INTAKE)
    assert consent.title == "Consent to video sessions" and "1717" in consent.body
    assert intake.title == "Before our first session" and intake.is_active
    [required_by] = consent.session_types.all()
    assert required_by.mode == SessionType.Mode.VIDEO and required_by.name == "Individual session"


def test_the_demo_professional_has_a_booking_page(client, db, settings):
    data = json.loads(run_demo("--json"))
    url = data["professional"]["booking_url"]
    assert url.startswith(settings.SITE_URL + "/book/")
    run_demo()  # a second run keeps the address
    assert json.loads(run_demo("--json"))["professional"]["booking_url"] == url
    page = client.get(url.removeprefix(settings.SITE_URL) + "?tz=Atlantic/Reykjavik")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bookable at once" in html and "By request" in html
    modes = set(
        SessionType.objects.filter(
            professional__user__email=data["professional"]["email"], is_active=True
        ).values_list("booking_mode", flat=True)
    )
    assert modes == {"instant", "request"}
    # One open request to answer, however often the demo runs.
    from tengja.bookings.models import BookingRequest

    [waiting] = BookingRequest.objects.filter(status="open", client__email=data["client"]["email"])
    assert waiting.session_type.booking_mode == "request" and waiting.message


def test_the_demo_client_has_signed_the_telehealth_consent(client, db):
    from tengja.intake.models import FormResponse

    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())  # a second run signs nothing again
    soon = Booking.objects.get(code="demo-soon")
    [signed] = FormResponse.objects.filter(client=soon.client)
    assert signed.state == FormResponse.State.SIGNED and signed.signature_hash
    assert signed.snapshot["title"] == "Consent to video sessions"
    client.force_login(soon.client)
    assert client.get(reverse("video:join", args=[soon.code])).status_code == 200
    assert client.get(reverse("intake:response_pdf", args=[signed.code])).status_code == 200
