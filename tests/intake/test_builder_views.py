"""The professional's forms pages: the list, a new form, each editor action,
ownership, versions and snapshots, and query budgets (issue 29)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tengja.intake.builder import MAX_FIELDS, form_from_template
from tengja.intake.models import FormResponse, IntakeForm
from tests.factories import SessionTypeFactory, UserFactory

LIST_QUERIES = 6
EDIT_QUERIES = 9


@pytest.fixture
def pro(client, professional):
    client.force_login(professional.user)
    return professional


@pytest.fixture
def consent(professional) -> IntakeForm:
    return form_from_template(professional=professional, template="telehealth_consent")


@pytest.fixture
def kind(professional):
    return SessionTypeFactory(professional=professional, name="Viðtal")


def edit_url(form: IntakeForm, name: str = "builder_edit", **more) -> str:
    return reverse(f"intake:{name}", kwargs={"code": form.code, **more})


def details(form: IntakeForm, **changes) -> dict:
    data = {"title": form.title, "body": form.body, "is_active": "on"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def fresh(form: IntakeForm) -> IntakeForm:
    return IntakeForm.objects.get(pk=form.pk)


def answer(form: IntakeForm, client_user, state=FormResponse.State.SIGNED) -> FormResponse:
    return FormResponse.objects.create(
        form=form,
        professional=form.professional,
        client=client_user,
        state=state,
        answers={"understood": True},
        snapshot={
            "kind": form.kind,
            "title": form.title,
            "body": form.body,
            "fields": form.fields,
            "version": form.version,
        },
    )


# ------------------------------------------------------------------ list and new


def test_the_practice_page_links_to_the_forms(client, pro):
    page = client.get(reverse("bookings:practice")).content.decode()
    assert reverse("intake:builder_list") in page


def test_the_list_shows_each_form_with_its_types_and_completions(client, pro, consent, kind):
    consent.session_types.add(kind)
    answer(consent, UserFactory())
    answer(consent, UserFactory(), state=FormResponse.State.DRAFT)  # started, not completed
    intake = form_from_template(professional=pro, template="general_intake")
    intake.is_active = False
    intake.save()
    response = client.get(reverse("intake:builder_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert consent.title in page and intake.title in page and "Viðtal" in page
    assert "1 client<" in page and "0 clients" in page


def test_new_from_each_template_in_the_professionals_language(client, pro):
    pro.user.language = "is"
    pro.user.save()
    for template in ("telehealth_consent", "general_intake"):
        response = client.post(reverse("intake:builder_new"), {"template": template})
        form = IntakeForm.objects.latest("pk")
        assert response.status_code == 302 and response["Location"] == edit_url(form)
    titles = set(IntakeForm.objects.values_list("title", flat=True))
    assert titles == {"Samþykki fyrir myndviðtölum", "Fyrir fyrsta viðtalið"}


def test_new_blank_intake_and_consent(client, pro):
    response = client.post(reverse("intake:builder_new"), {"kind": "intake", "title": "Spurningar"})
    assert response.status_code == 302
    form = IntakeForm.objects.get()
    assert (form.kind, form.title, form.fields, form.professional) == (
        "intake",
        "Spurningar",
        [],
        pro,
    )
    # A consent without its text is refused, nothing made.
    response = client.post(
        reverse("intake:builder_new"), {"kind": "consent", "title": "Samþykki", "body": " "}
    )
    assert response.status_code == 400
    assert "text your client agrees to" in response.content.decode()
    assert IntakeForm.objects.count() == 1
    client.post(
        reverse("intake:builder_new"),
        {"kind": "consent", "title": "Samþykki", "body": "Ég samþykki."},
    )
    assert IntakeForm.objects.filter(kind="consent", body="Ég samþykki.").exists()


@pytest.mark.parametrize(
    "data",
    [{"template": "nope"}, {"kind": "petition", "title": "X"}, {"kind": "intake", "title": ""}],
)
def test_new_with_bad_input_makes_nothing(client, pro, data):
    assert client.post(reverse("intake:builder_new"), data).status_code == 400
    assert not IntakeForm.objects.exists()


# ------------------------------------------------------------------ the editor


def test_editing_the_details_bumps_the_version(client, pro, consent, kind):
    before = consent.updated_at
    response = client.post(
        edit_url(consent),
        details(consent, title="Nýr titill", body="Nýr texti.", session_types=[kind.code]),
    )
    assert response.status_code == 302
    form = fresh(consent)
    assert (form.title, form.body, form.version) == ("Nýr titill", "Nýr texti.", 2)
    assert form.updated_at > before
    assert list(form.session_types.all()) == [kind]
    # Saved as it was: nothing changed, no new version.
    client.post(edit_url(consent), details(form, session_types=[kind.code]))
    assert fresh(consent).version == 2 and fresh(consent).updated_at == form.updated_at
    # Taken out of use, and no longer required.
    client.post(edit_url(consent), details(form, is_active=None, session_types=None))
    form = fresh(consent)
    assert not form.is_active and not form.session_types.exists() and form.version == 3


def test_another_professionals_session_type_is_refused(
    client, pro, consent, kind, other_professional
):
    theirs = SessionTypeFactory(professional=other_professional)
    response = client.post(
        edit_url(consent), details(consent, session_types=[kind.code, theirs.code])
    )
    assert response.status_code == 400
    assert fresh(consent).version == 1 and not consent.session_types.exists()


def test_a_consent_keeps_its_text(client, pro, consent):
    response = client.post(edit_url(consent), details(consent, body="   "))
    assert response.status_code == 400
    assert "text your client agrees to" in response.content.decode()
    assert fresh(consent).body == consent.body and fresh(consent).version == 1


def add(client, form, kind, **data):
    return client.post(
        edit_url(form, "builder_field_add"),
        {"new-kind": kind, **{f"new-{k}": v for k, v in data.items()}},
    )


def test_adding_each_kind_of_question(client, pro, consent):
    assert add(client, consent, "yes_no", label="Má hringja?", required="on").status_code == 302
    assert (
        add(client, consent, "choice", label="Hvenær?", choices="Morgna\n\n Kvölds \n").status_code
        == 302
    )
    assert add(client, consent, "scale", label="Líðan?", min="1", max="7").status_code == 302
    for kind in ("short_text", "long_text", "date"):
        assert add(client, consent, kind, label=kind, help="Hjálp").status_code == 302
    form = fresh(consent)
    new = form.fields[4:]
    assert new[0] == {
        "key": new[0]["key"],
        "kind": "yes_no",
        "label": "Má hringja?",
        "help": "",
        "required": True,
    }
    assert new[1]["choices"] == ["Morgna", "Kvölds"] and "min" not in new[1]
    assert (new[2]["min"], new[2]["max"]) == (1, 7) and "choices" not in new[2]
    assert [f["kind"] for f in new[3:]] == ["short_text", "long_text", "date"]
    assert form.version == 1 + 6
    assert len({f["key"] for f in form.fields}) == len(form.fields)


@pytest.mark.parametrize(
    ("kind", "data", "says"),
    [
        ("choice", {"label": "Hvað?", "choices": ""}, "This field is required"),
        ("choice", {"label": "Hvað?", "choices": "Bara eitt"}, "at least two choices"),
        ("scale", {"label": "Líðan?", "min": "5", "max": "5"}, "lower to a higher"),
        ("scale", {"label": "Líðan?", "min": "0", "max": "101"}, "less than or equal to 100"),
        ("short_text", {"label": "x" * 301}, "at most 300 characters"),
        ("short_text", {"label": ""}, "This field is required"),
        ("signature", {"label": "Sign"}, "no such kind of question"),
    ],
)
def test_a_bad_question_is_refused_and_nothing_saved(client, pro, consent, kind, data, says):
    response = add(client, consent, kind, **data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert fresh(consent).fields == consent.fields and fresh(consent).version == 1


def test_at_most_50_questions(client, pro, consent):
    fields = [
        {"key": f"k{n}", "kind": "short_text", "label": "?", "help": "", "required": False}
        for n in range(MAX_FIELDS)
    ]
    IntakeForm.objects.filter(pk=consent.pk).update(fields=fields)
    response = add(client, consent, "short_text", label="Sú fimmtugasta og fyrsta")
    assert response.status_code == 400
    assert "at most 50 questions" in response.content.decode()
    assert len(fresh(consent).fields) == MAX_FIELDS
    # The page says so instead of offering to add.
    page = client.get(edit_url(consent) + "?add=short_text").content.decode()
    assert "at most 50 questions" in page and 'name="new-label"' not in page


def test_changing_a_question_keeps_its_key_and_kind(client, pro, consent):
    key = consent.fields[0]["key"]
    response = client.post(
        edit_url(consent, "builder_field_save", key=key),
        {f"f-{key}-label": "Hvar ertu?", f"f-{key}-help": "", f"f-{key}-kind": "scale"},
    )
    assert response.status_code == 302
    changed = fresh(consent).fields[0]
    assert changed == {
        "key": key,
        "kind": "short_text",
        "label": "Hvar ertu?",
        "help": "",
        "required": False,
    }
    # A bad change: nothing saved, the page with what was typed and the error.
    intake = form_from_template(professional=pro, template="general_intake")
    since = next(f for f in intake.fields if f["kind"] == "choice")["key"]
    response = client.post(
        edit_url(intake, "builder_field_save", key=since),
        {f"f-{since}-label": "Hve lengi?", f"f-{since}-choices": "Eitt"},
    )
    assert response.status_code == 400 and "at least two choices" in response.content.decode()
    assert fresh(intake).fields == intake.fields


def test_moving_and_removing_questions(client, pro, consent):
    keys = [f["key"] for f in consent.fields]
    client.post(edit_url(consent, "builder_field_down", key=keys[0]))
    assert [f["key"] for f in fresh(consent).fields] == [keys[1], keys[0], *keys[2:]]
    client.post(edit_url(consent, "builder_field_up", key=keys[0]))
    assert [f["key"] for f in fresh(consent).fields] == keys
    # At the top already: nothing changes, not even the version.
    client.post(edit_url(consent, "builder_field_up", key=keys[0]))
    assert fresh(consent).version == 3
    client.post(edit_url(consent, "builder_field_remove", key=keys[1]))
    assert [f["key"] for f in fresh(consent).fields] == [keys[0], *keys[2:]]
    assert fresh(consent).version == 4
    # A question that is not there.
    response = client.post(edit_url(consent, "builder_field_remove", key=keys[1]))
    assert response.status_code == 404


def test_a_change_never_alters_what_was_answered_or_signed(client, pro, consent, alice):
    signed = answer(consent, alice)
    before = FormResponse.objects.get(pk=signed.pk).snapshot
    client.post(edit_url(consent), details(consent, title="Breytt", body="Allt annar texti."))
    client.post(edit_url(consent, "builder_field_remove", key=consent.fields[0]["key"]))
    add(client, consent, "yes_no", label="Ný spurning")
    assert "Ný spurning" in str(fresh(consent).fields) and fresh(consent).version == 4
    after = FormResponse.objects.get(pk=signed.pk)
    assert after.snapshot == before and after.snapshot["body"] == consent.body
    assert after.answers == {"understood": True}


def test_delete_a_form_nobody_answered(client, pro, consent):
    response = client.post(edit_url(consent, "builder_delete"))
    assert response.status_code == 302 and response["Location"] == reverse("intake:builder_list")
    assert not IntakeForm.objects.exists()


def test_a_form_with_answers_is_only_taken_out_of_use(client, pro, consent, alice):
    signed = answer(consent, alice)
    response = client.post(edit_url(consent, "builder_delete"))
    assert response.status_code == 302
    form = fresh(consent)
    assert not form.is_active and form.version == 2
    assert FormResponse.objects.get(pk=signed.pk).form == form
    assert "taken out of use" in client.get(edit_url(consent)).content.decode()


def test_preview_shows_the_form_as_the_client_sees_it(client, pro, consent):
    page = client.get(edit_url(consent, "builder_preview")).content.decode()
    assert consent.title in page and "1717" in page
    for field in consent.fields:
        assert field["label"] in page
    assert "disabled" in page


# ------------------------------------------------------------------ ownership


@pytest.mark.parametrize("who", ["other_professional", "alice", "hr"])
def test_nobody_else_reaches_a_form(client, consent, who, request):
    person = request.getfixturevalue(who)
    client.force_login(getattr(person, "user", person))
    key = consent.fields[0]["key"]
    for name in ("builder_edit", "builder_preview"):
        assert client.get(edit_url(consent, name)).status_code == 404
    posts = [
        edit_url(consent),
        edit_url(consent, "builder_delete"),
        edit_url(consent, "builder_field_add"),
        *(
            edit_url(consent, name, key=key)
            for name in (
                "builder_field_save",
                "builder_field_up",
                "builder_field_down",
                "builder_field_remove",
            )
        ),
    ]
    for url in posts:
        assert client.post(url, {"new-kind": "yes_no", "new-label": "x"}).status_code == 404, url
    assert fresh(consent).version == 1 and IntakeForm.objects.count() == 1
    if who != "other_professional":
        assert client.get(reverse("intake:builder_list")).status_code == 404
    else:
        assert consent.title not in client.get(reverse("intake:builder_list")).content.decode()


def test_a_visitor_is_sent_to_sign_in(client, consent):
    for url in (reverse("intake:builder_list"), edit_url(consent)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_session_type_page_lists_the_forms_it_requires(client, pro, consent, kind):
    page = client.get(reverse("professionals:session_type", kwargs={"code": kind.code}))
    assert "requires no forms" in page.content.decode()
    consent.session_types.add(kind)
    page = client.get(reverse("professionals:session_type", kwargs={"code": kind.code}))
    body = page.content.decode()
    assert consent.title in body and reverse("intake:builder_list") in body


# ------------------------------------------------------------------ query budgets


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_cost_the_same_queries_with_many_forms_fields_and_answers(
    client, pro, consent, kind
):
    few = {
        "list": queries(client, reverse("intake:builder_list")),
        "edit": queries(client, edit_url(consent)),
        "preview": queries(client, edit_url(consent, "builder_preview")),
        "type": queries(client, reverse("professionals:session_type", kwargs={"code": kind.code})),
    }
    assert few["list"] <= LIST_QUERIES and few["edit"] <= EDIT_QUERIES
    types = [SessionTypeFactory(professional=pro) for _ in range(10)]
    fields = [
        {
            "key": f"k{n}",
            "kind": "choice",
            "label": f"{n}?",
            "help": "",
            "required": False,
            "choices": ["A", "B"],
        }
        for n in range(MAX_FIELDS)
    ]
    forms = IntakeForm.objects.bulk_create(
        IntakeForm(professional=pro, title=f"Form {n}", fields=fields) for n in range(200)
    )
    IntakeForm.objects.filter(pk=consent.pk).update(fields=fields)
    through = IntakeForm.session_types.through
    through.objects.bulk_create(
        through(intakeform_id=form.pk, sessiontype_id=t.pk)
        for form in [*forms, consent]
        for t in [kind, *types]
    )
    clients = UserFactory.create_batch(30)
    FormResponse.objects.bulk_create(
        FormResponse(form=form, professional=pro, client=c, state="submitted")
        for form in [*forms[:20], consent]
        for c in clients
    )
    many = {
        "list": queries(client, reverse("intake:builder_list")),
        "edit": queries(client, edit_url(consent)),
        "preview": queries(client, edit_url(consent, "builder_preview")),
        "type": queries(client, reverse("professionals:session_type", kwargs={"code": kind.code})),
    }
    assert many == few
    assert "30 clients" in client.get(reverse("intake:builder_list")).content.decode()


def test_a_stored_question_the_rules_refuse_is_an_error_not_a_crash(client, pro, consent):
    """Written past the editor (the admin, an old row): a change that would store it
    again is refused with the rule, and nothing changes."""
    broken = [
        *consent.fields,
        {"key": "bad", "kind": "choice", "label": "?", "help": "", "required": False},
    ]
    IntakeForm.objects.filter(pk=consent.pk).update(fields=broken)
    response = client.post(edit_url(consent, "builder_field_down", key=consent.fields[0]["key"]))
    assert response.status_code == 400
    assert "Question 5: a choice question needs its choices." in response.content.decode()
    assert fresh(consent).fields == broken and fresh(consent).version == 1
