"""A form sent back with errors: words a person understands (never a database
constraint's name), the fields marked invalid, and a summary at the top."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from django import forms
from django.db.models import CheckConstraint, UniqueConstraint
from django.urls import reverse

import tengja
from tengja.professionals.models import WeeklyAvailability
from tests.factories import SessionTypeFactory

DATABASE_WORDS = ("Constraint", "is violated", "constraint")


def _model_forms() -> list[type[forms.ModelForm]]:
    found = []
    for path in sorted(Path(tengja.__file__).parent.glob("*/forms.py")):
        module = importlib.import_module(f"tengja.{path.parent.name}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.ModelForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def _constraint_fields(constraint) -> set[str]:
    if isinstance(constraint, CheckConstraint):
        return set(constraint.condition.referenced_base_fields)
    if isinstance(constraint, UniqueConstraint):
        return set(constraint.fields) or {"(expressions)"}
    return {"(unknown)"}


def test_every_constraint_a_form_checks_says_what_to_do():
    """Walk every ModelForm: a model constraint on the form's own fields is checked
    by Django as the form is validated, and shows its violation message. That must
    be words for a person, in their language, never "Constraint … is violated"."""
    checked = []
    for form_class in _model_forms():
        model, fields = form_class._meta.model, set(form_class.base_fields)
        for constraint in model._meta.constraints:
            if not _constraint_fields(constraint) <= fields:
                continue  # a field the form lacks: Django leaves the constraint out
            message = constraint.violation_error_message
            assert message != constraint.default_violation_error_message, (
                f"{form_class.__name__}: {constraint.name} would show Django's own words"
            )
            assert "%(name)s" not in str(message)
            checked.append(constraint.name)
    assert "availability_order" in checked


@pytest.fixture
def pro_client(client, professional):
    client.force_login(professional.user)
    return client


def _failed(response) -> str:
    body = response.content.decode()
    assert response.status_code == 400
    for words in DATABASE_WORDS:
        assert words not in body
    assert "data-error-summary" in body
    assert 'tabindex="-1"' in body
    return body


def _invalid(body: str, name: str) -> bool:
    """Whether the input named `name` (after any prefix) is marked invalid and
    described by its error."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*name="(\w+-)?{name}"[^>]*>', body).group(0)
    field_id = re.search(r'\sid="([^"]+)"', tag).group(1)
    return 'aria-invalid="true"' in tag and f'aria-describedby="{field_id}_error"' in tag


@pytest.mark.parametrize("language", ["en", "is"])
def test_weekly_hours_ending_before_they_start(pro_client, professional, language):
    professional.user.language = language
    professional.user.save()
    response = pro_client.post(
        reverse("professionals:window_add"),
        {"window-weekday": 0, "window-starts": "17:00", "window-ends": "09:00"},
    )
    body = _failed(response)
    expected = {"en": "The end must come after the start.", "is": "Lokin verða að koma á eftir"}
    assert expected[language] in body
    assert body.count(expected[language]) == 1  # said once, at the field
    assert _invalid(body, "ends")
    # The summary links to the field.
    assert '<a href="#id_window-ends">' in body
    assert not WeeklyAvailability.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "data", "field"),
    [
        (
            "professionals:window_add",
            {"window-weekday": 9, "window-starts": "09:00", "window-ends": "17:00"},
            "weekday",
        ),
        (
            "professionals:window_add",
            {"window-weekday": 0, "window-starts": "09:00", "window-ends": "09:00"},
            "ends",
        ),
        (
            "professionals:session_type_new",
            {"name": "Talk", "duration_minutes": 0, "price": 1000, "currency": "ISK"},
            "duration_minutes",
        ),
        (
            "professionals:session_type_new",
            {"name": "talk", "duration_minutes": 50, "price": 1000, "currency": "ISK"},
            "name",
        ),
        (
            "professionals:exception_add",
            {
                "exception-date": "2030-01-01",
                "exception-starts": "12:00",
                "exception-ends": "10:00",
            },
            None,
        ),
    ],
)
def test_failed_practice_forms_speak_plainly(pro_client, professional, url_name, data, field):
    SessionTypeFactory(professional=professional, name="Talk")
    data = {"mode": "video", "cancellation_notice_hours": 24, **data}
    body = _failed(pro_client.post(reverse(url_name), data))
    if field:
        assert _invalid(body, field)


def test_failed_profile_form_is_summarised(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("accounts:profile"), {"name": "", "language": "en", "time_zone": "UTC"}
    )
    body = _failed(response)
    assert _invalid(body, "name")


def test_failed_hub_forms_are_summarised(client, hub, hr):
    client.force_login(hr)
    for url_name, data, field in [
        ("hubs:admin_settings", {"credits_per_period": -1, "period_months": 99}, "period_months"),
        ("hubs:admin_domain_add", {"domain": "not a domain"}, "domain"),
        ("hubs:admin_address_invite", {"invite-email": "nope"}, "invite-email"),
        ("hubs:admin_member_remove", {"remove-email": "nope"}, "remove-email"),
    ]:
        body = _failed(client.post(reverse(url_name, args=[hub.code]), data))
        assert _invalid(body, field)


def test_failed_account_deletion_marks_the_unticked_box(client, alice, password):
    client.force_login(alice)
    response = client.post(reverse("privacy:delete"), {"current_password": password})
    body = _failed(response)
    assert _invalid(body, "confirm")
