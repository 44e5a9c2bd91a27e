"""The conversation list, a conversation, its file downloads, and the buttons
that start, remove, close and reopen. Each object is looked up with the person
asking (tengja.messaging.selectors): anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.models import User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.lib.http import render_form
from tengja.messaging.files import storage
from tengja.messaging.forms import CloseForm, MessageForm
from tengja.messaging.models import Conversation
from tengja.messaging.selectors import (
    conversation_for_user,
    conversations_for_user,
    message_for_user,
    messages_page,
)
from tengja.messaging.services import (
    MessageError,
    conversation_close,
    conversation_read,
    conversation_reopen,
    conversation_start,
    message_remove,
    message_send,
    role_in,
)
from tengja.professionals.models import Professional
from tengja.professionals.selectors import professional_for_user


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """My conversations, newest message first (as client and as professional)."""
    return render(
        request,
        "messaging/inbox.html",
        {"page": conversations_for_user(user=request.user, page=request.GET.get("page"))},
    )


def _names(conversation: Conversation) -> dict[str, str]:
    """Each side's name as the page shows it ("Deleted account" once erased)."""
    return {
        "client": conversation.client.display_name,
        "professional": conversation.professional.user.display_name,
    }


@login_required
def conversation(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The conversation: a page of its messages and the form to send one. Showing
    it marks the viewer's side read (static/js/live.js fetches this same page to
    refresh #message-list)."""
    found = conversation_for_user(user=request.user, code=code)
    role = role_in(found, request.user)
    form = MessageForm()
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                message_send(
                    conversation=found,
                    sender=request.user,
                    body=form.cleaned_data["body"] or "",
                    file=form.cleaned_data["file"],
                )
            except MessageError as error:
                form.add_error(error.field, str(error))
            else:
                messages.success(request, _("Message sent."))
                return redirect("messaging:conversation", code=found.code)
    page = messages_page(conversation=found, page=request.GET.get("page"))
    if page.number == 1:
        conversation_read(conversation=found, user=request.user)
    return render_form(
        request,
        "messaging/conversation.html",
        {
            "conversation": found,
            "role": role,
            "names": _names(found),
            "other": found.client if role == "professional" else found.professional.user,
            "page": page,
            "form": form,
            "close_form": CloseForm(initial={"note": found.closed_note}),
        },
        form,
    )


@login_required
def file(request: AuthenticatedRequest, code: str) -> FileResponse:
    """A message's file, for the conversation's two people only, as a download."""
    message = message_for_user(user=request.user, code=code)
    if message.is_removed or not message.file:
        raise Http404
    try:
        handle = storage().open(message.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=message.file_name or "file",
        content_type=message.file_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def start(request: AuthenticatedRequest) -> HttpResponse:
    """The "Message" button: the client names a professional, or a professional a
    client; the pair's conversation is found or made. 404 when they have no
    session together."""
    try:
        if "professional" in request.POST:
            professional = Professional.objects.select_related("user").get(
                code=request.POST["professional"]
            )
            client = request.user
        else:
            professional = professional_for_user(user=request.user)
            client = User.objects.get(code=request.POST.get("client", ""), erased_at=None)
        found = conversation_start(client=client, professional=professional)
    except (Professional.DoesNotExist, User.DoesNotExist, MessageError):
        raise Http404 from None
    return redirect("messaging:conversation", code=found.code)


@login_required
@require_POST
def remove(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Remove my message: first a page that asks to confirm (no script needed), then
    the removal."""
    message = message_for_user(user=request.user, code=code)
    if message.sender_id != request.user.pk or message.is_removed:
        raise Http404
    if request.POST.get("confirm") != "1":
        return render(request, "messaging/remove.html", {"message": message})
    try:
        message_remove(message=message, user=request.user)
    except MessageError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Message removed."))
    return redirect("messaging:conversation", code=message.conversation.code)


@login_required
@require_POST
def close(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The professional closes the conversation, with how to reach them instead."""
    found = conversation_for_user(user=request.user, code=code)
    professional = professional_for_user(user=request.user)
    if found.professional_id != professional.pk:
        raise Http404
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            conversation_close(
                conversation=found, professional=professional, note=form.cleaned_data["note"]
            )
        except MessageError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, _("Conversation closed."))
            return redirect("messaging:conversation", code=found.code)
    role = role_in(found, request.user)
    return render_form(
        request,
        "messaging/conversation.html",
        {
            "conversation": found,
            "role": role,
            "names": _names(found),
            "other": found.client,
            "page": messages_page(conversation=found, page=None),
            "form": MessageForm(),
            "close_form": form,
        },
        form,
    )


@login_required
@require_POST
def reopen(request: AuthenticatedRequest, code: str) -> HttpResponse:
    found = conversation_for_user(user=request.user, code=code)
    professional = professional_for_user(user=request.user)
    if found.professional_id != professional.pk:
        raise Http404
    try:
        conversation_reopen(conversation=found, professional=professional)
    except MessageError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Conversation reopened."))
    return redirect("messaging:conversation", code=found.code)
