"""The professional's forms: the list, a new form, the editor and its preview.

Every change is its own POST with its own button, so the editor works without
JavaScript; a refused change shows the page again with its error (400) and
nothing saved. Every form is looked up through the professional's own
(builder.form_for_professional): anyone else's is a 404.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.intake import builder
from tengja.intake.builder_forms import FieldForm, FormDetailsForm, NewFormForm
from tengja.intake.models import IntakeForm
from tengja.intake.templates_shipped import TEMPLATE_DESCRIPTIONS, TEMPLATES
from tengja.professionals.models import Professional
from tengja.professionals.selectors import professional_for_user

Kind = IntakeForm.FieldKind


@login_required
def form_list(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    return render(
        request,
        "intake/builder_list.html",
        {"forms": builder.forms_for_professional(professional=professional)},
    )


def _new_page(
    request: HttpRequest, form: NewFormForm, status: int = 200, error: str = ""
) -> HttpResponse:
    templates = [(key, *TEMPLATE_DESCRIPTIONS[key]) for key in TEMPLATES]
    context = {"form": form, "templates": templates, "error": error}
    return render(request, "intake/builder_new.html", context, status=status)


@login_required
def form_new(request: AuthenticatedRequest) -> HttpResponse:
    """Start a form: from a template Tengja ships, or blank (an intake or a consent)."""
    professional = professional_for_user(user=request.user)
    if request.method != "POST":
        return _new_page(request, NewFormForm())
    if "template" in request.POST:
        try:
            form = builder.form_from_template(
                professional=professional, template=request.POST["template"]
            )
        except KeyError:
            return _new_page(
                request, NewFormForm(), status=400, error=_("There is no such template.")
            )
        messages.success(
            request,
            _("The form is made from the template. Read it through and change it as you need."),
        )
        return redirect("intake:builder_edit", code=form.code)
    new = NewFormForm(request.POST)
    if not new.is_valid():
        return _new_page(request, new, status=400)
    form = builder.form_create(professional=professional, **new.cleaned_data)
    messages.success(request, _("The form is made. Now add its questions."))
    return redirect("intake:builder_edit", code=form.code)


def _field_forms(form: IntakeForm, bound: FieldForm | None, bound_key: str | None) -> list:
    """(number, field, its form) for each question; the one just refused keeps what was typed."""
    rows = []
    for number, field in enumerate(form.fields, 1):
        key = field["key"]
        if bound is not None and key == bound_key:
            field_form = bound
        else:
            field_form = FieldForm(
                kind=field["kind"], prefix=f"f-{key}", initial=FieldForm.initial_for(field)
            )
        rows.append((number, field, field_form))
    return rows


def _editor(
    request: HttpRequest,
    professional: Professional,
    form: IntakeForm,
    *,
    details: FormDetailsForm | None = None,
    field_form: FieldForm | None = None,
    field_key: str | None = None,
    new_field: FieldForm | None = None,
    error: str = "",
) -> HttpResponse:
    details = details or FormDetailsForm(
        professional=professional,
        kind=form.kind,
        initial={
            "title": form.title,
            "body": form.body,
            "is_active": form.is_active,
            "session_types": list(form.session_types.all()),
        },
    )
    adding = request.GET.get("add", "")
    if new_field is None and adding in Kind.values:
        new_field = FieldForm(kind=adding, new=True, prefix="new", initial={"kind": adding})
    context: dict[str, Any] = {
        "form": form,
        "details": details,
        "fields": _field_forms(form, field_form, field_key),
        "new_field": new_field,
        "kinds": Kind.choices,
        "full": len(form.fields) >= builder.MAX_FIELDS,
        "max_fields": builder.MAX_FIELDS,
        "has_responses": builder.form_has_responses(form=form),
        "error": error,
    }
    refused = error or any(f is not None and f.errors for f in (details, field_form, new_field))
    return render(request, "intake/builder_edit.html", context, status=400 if refused else 200)


def _own(request: AuthenticatedRequest, code: str) -> tuple[Professional, IntakeForm]:
    professional = professional_for_user(user=request.user)
    return professional, builder.form_for_professional(professional=professional, code=code)


def _saved(request: HttpRequest, form: IntakeForm, anchor: str = "") -> HttpResponse:
    messages.success(request, _("Saved."))
    return redirect(reverse("intake:builder_edit", kwargs={"code": form.code}) + anchor)


@login_required
def form_edit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The editor; a POST saves the form's details (title, text, session types, in use)."""
    professional, form = _own(request, code)
    if request.method != "POST":
        return _editor(request, professional, form)
    details = FormDetailsForm(request.POST, professional=professional, kind=form.kind)
    if not details.is_valid():
        return _editor(request, professional, form, details=details)
    data = details.cleaned_data
    builder.form_update(
        form=form,
        title=data["title"],
        body=data["body"],
        is_active=data["is_active"],
        session_types=list(data["session_types"]),
    )
    return _saved(request, form)


@login_required
def form_preview(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The form as the client will see it, nothing to fill in."""
    form = _own(request, code)[1]
    return render(request, "intake/builder_preview.html", {"form": form})


@login_required
@require_POST
def field_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    professional, form = _own(request, code)
    kind = request.POST.get("new-kind", "")
    if kind not in Kind.values:
        return _editor(request, professional, form, error=_("There is no such kind of question."))
    new_field = FieldForm(request.POST, kind=kind, new=True, prefix="new")
    if not new_field.is_valid():
        return _editor(request, professional, form, new_field=new_field)
    try:
        form = builder.form_field_add(form=form, field=new_field.field)
    except ValidationError as error:
        return _editor(request, professional, form, new_field=new_field, error=error.messages[0])
    return _saved(request, form, f"#field-{form.fields[-1]['key']}")


def _field(form: IntakeForm, key: str) -> dict:
    for field in form.fields:
        if field["key"] == key:
            return field
    raise Http404


@login_required
@require_POST
def field_save(request: AuthenticatedRequest, code: str, key: str) -> HttpResponse:
    professional, form = _own(request, code)
    field = _field(form, key)
    field_form = FieldForm(request.POST, kind=field["kind"], prefix=f"f-{key}")
    if not field_form.is_valid():
        return _editor(request, professional, form, field_form=field_form, field_key=key)
    try:
        form = builder.form_field_change(form=form, key=key, field=field_form.field)
    except KeyError:  # removed in another tab a moment ago
        raise Http404 from None
    except ValidationError as error:
        return _editor(request, professional, form, error=error.messages[0])
    return _saved(request, form, f"#field-{key}")


@login_required
@require_POST
def field_move(request: AuthenticatedRequest, code: str, key: str, step: int) -> HttpResponse:
    professional, form = _own(request, code)
    _field(form, key)
    try:
        form = builder.form_field_move(form=form, key=key, step=step)
    except KeyError:
        raise Http404 from None
    except ValidationError as error:  # a stored question the rules refuse
        return _editor(request, professional, form, error=error.messages[0])
    return _saved(request, form, f"#field-{key}")


@login_required
@require_POST
def field_remove(request: AuthenticatedRequest, code: str, key: str) -> HttpResponse:
    professional, form = _own(request, code)
    _field(form, key)
    try:
        form = builder.form_field_remove(form=form, key=key)
    except KeyError:
        raise Http404 from None
    except ValidationError as error:  # a stored question the rules refuse
        return _editor(request, professional, form, error=error.messages[0])
    messages.success(request, _("The question is removed. Answers already given keep it."))
    return redirect("intake:builder_edit", code=form.code)


@login_required
@require_POST
def form_delete(request: AuthenticatedRequest, code: str) -> HttpResponse:
    form = _own(request, code)[1]
    if builder.form_delete(form=form):
        messages.success(request, _("The form is deleted."))
    else:
        messages.success(
            request,
            _(
                "Clients have answered this form, so it is kept with their answers and "
                "taken out of use: nobody is asked to fill it in any more."
            ),
        )
    return redirect("intake:builder_list")
