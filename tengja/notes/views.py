"""The professional's notes: start one, write it (saved as typed), sign it, add
to it; and their own templates. Every page is the author's alone (404 for
anyone else: tengja.notes.selectors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.lib.http import render_form
from tengja.notes import services
from tengja.notes.forms import AddendumForm, NoteForm, StartForm, TemplateForm
from tengja.notes.models import Note
from tengja.notes.selectors import (
    client_for_notes,
    note_for_author,
    own_templates,
    session_for_notes,
    template_choices,
    template_for_author,
)
from tengja.professionals.selectors import professional_for_user


def _start(request: AuthenticatedRequest, professional, client, booking, back: str) -> HttpResponse:
    form = StartForm(request.POST, choices=template_choices(professional=professional))
    if not form.is_valid():
        messages.error(request, _("Choose one of the templates offered."))
        return redirect(back)
    try:
        note = services.note_start(
            professional=professional,
            client=client,
            booking=booking,
            template=form.cleaned_data["template"],
        )
    except services.NoteError as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect("notes:note", code=note.code)


@login_required
@require_POST
def new_for_session(request: AuthenticatedRequest, code: str) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    booking = session_for_notes(professional=professional, code=code)
    assert booking.client is not None  # session_for_notes: the client is known
    back = reverse("bookings:detail", args=[booking.code]) + "#notes-heading"
    return _start(request, professional, booking.client, booking, back)


@login_required
@require_POST
def new_for_client(request: AuthenticatedRequest, code: str) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    client = client_for_notes(professional=professional, code=code)
    back = reverse("dashboard:practice_client", args=[client.code]) + "#notes-heading"
    return _start(request, professional, client, None, back)


def _page(request: AuthenticatedRequest, note: Note, form=None, addendum=None) -> HttpResponse:
    """The note: a draft to write, or the signed text with its addenda. A refused
    form makes it a 400 (a signed note's refused change is told in a message)."""
    shown = None
    if note.is_signed:
        addendum = addendum or AddendumForm()
    else:
        shown = form or NoteForm(initial={"title": note.title, "body": note.body})
    return render_form(
        request,
        "notes/note.html",
        {
            "note": note,
            "form": shown,
            "addendum_form": addendum,
            "addenda": list(note.addenda.all()) if note.is_signed else [],
        },
        form,
        addendum,
    )


@login_required
def note(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _page(request, note_for_author(user=request.user, code=code))


@login_required
@require_POST
def note_save(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The draft, saved in the background (static/js/intake.js) as JSON, or with
    the Save button (no script)."""
    note = note_for_author(user=request.user, code=code)
    background = request.headers.get("X-Requested-With") == "fetch"
    form = NoteForm(request.POST)
    if not form.is_valid():
        if background:
            return JsonResponse({"error": _("Not saved: the note is too long.")}, status=400)
        return _page(request, note, form=form)
    try:
        saved = services.note_save(note=note, **form.cleaned_data)
    except services.NoteError as error:
        if background:
            return JsonResponse({"error": str(error)}, status=409)
        messages.error(request, str(error))
        return redirect("notes:note", code=note.code)
    at = time_format(timezone.localtime(saved.updated_at), "TIME_FORMAT")
    if background:
        return JsonResponse({"saved": True, "message": _("Saved at %(time)s") % {"time": at}})
    messages.success(request, _("Draft saved at %(time)s.") % {"time": at})
    return redirect("notes:note", code=note.code)


@login_required
@require_POST
def note_sign(request: AuthenticatedRequest, code: str) -> HttpResponse:
    note = note_for_author(user=request.user, code=code)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _page(request, note, form=form)
    try:
        services.note_sign(note=note, **form.cleaned_data)
    except services.NoteError as error:
        form.add_error(None, str(error))
        if note.is_signed:
            messages.error(request, str(error))
        return _page(request, note, form=form)
    messages.success(request, _("The note is signed. Later changes are added as addenda."))
    return redirect("notes:note", code=note.code)


@login_required
@require_POST
def addendum_add(request: AuthenticatedRequest, code: str) -> HttpResponse:
    note = note_for_author(user=request.user, code=code)
    form = AddendumForm(request.POST)
    if not form.is_valid():
        return _page(request, note, addendum=form)
    try:
        services.addendum_add(note=note, body=form.cleaned_data["body"])
    except services.NoteError as error:
        form.add_error(None, str(error))
        return _page(request, note, addendum=form)
    messages.success(request, _("Addendum added."))
    return redirect("notes:note", code=note.code)


@login_required
def note_delete(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Throw a draft away: a page that asks first (GET), then the deletion (POST),
    back to the client's page. A signed note is refused, and stays as it is."""
    note = note_for_author(user=request.user, code=code)
    back = reverse("dashboard:practice_client", args=[note.client.code]) + "#notes-heading"
    if request.method == "POST":
        try:
            services.note_delete(note=note)
        except services.NoteError as error:
            messages.error(request, str(error))
            return redirect("notes:note", code=note.code)
        messages.success(request, _("Draft deleted."))
        return redirect(back)
    if note.is_signed:
        messages.error(
            request, _("This note is signed: it cannot be deleted. Add an addendum to correct it.")
        )
        return redirect("notes:note", code=note.code)
    return render(request, "notes/note_delete.html", {"note": note})


@login_required
def template_list(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    return render(
        request, "notes/template_list.html", {"templates": own_templates(professional=professional)}
    )


@login_required
def template_new(request: AuthenticatedRequest) -> HttpResponse:
    professional = professional_for_user(user=request.user)
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.note_template_save(professional=professional, **form.cleaned_data)
        messages.success(request, _("Template saved."))
        return redirect("notes:template_list")
    return render_form(request, "notes/template_edit.html", {"form": form, "template": None}, form)


@login_required
def template_edit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    template = template_for_author(user=request.user, code=code)
    form = TemplateForm(
        request.POST or None, initial={"name": template.name, "body": template.body}
    )
    if request.method == "POST" and form.is_valid():
        services.note_template_save(
            professional=template.professional, template=template, **form.cleaned_data
        )
        messages.success(request, _("Template saved."))
        return redirect("notes:template_list")
    return render_form(
        request, "notes/template_edit.html", {"form": form, "template": template}, form
    )


@login_required
@require_POST
def template_delete(request: AuthenticatedRequest, code: str) -> HttpResponse:
    template = template_for_author(user=request.user, code=code)
    services.note_template_delete(template=template)
    messages.success(request, _("Template deleted. Notes started from it keep their text."))
    return redirect("notes:template_list")
