"""The operators' Django admin: every registered model's list, search and change
page answers (on PostgreSQL, with the server binding the parameters)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture
def operator(db):
    return UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)


def test_every_admin_list_and_change_page_answers(client, operator, member, offer, alice):
    client.force_login(operator)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        if model_admin.search_fields:
            assert client.get(changelist, {"q": "a"}).status_code == 200, changelist
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            assert client.get(change).status_code == 200, change
            checked += 1
    assert checked >= 5  # users, professionals, hubs, memberships, offers at least


def test_an_operator_changes_a_hubs_zone_from_the_next_month(client, operator, hub):
    """As HR's form does: the months already begun keep their zone."""
    client.force_login(operator)
    url = reverse("admin:hubs_hub_change", args=[hub.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "company": hub.company_id,
            "time_zone": "Pacific/Kiritimati",
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302, response.context["adminform"].form.errors
    hub.refresh_from_db()
    assert hub.time_zone == "Pacific/Kiritimati"
    assert hub.time_zone_history == [
        {"zone": "Atlantic/Reykjavik", "until": hub.time_zone_from.isoformat()}
    ]
    assert hub.time_zone_now == "Atlantic/Reykjavik"
