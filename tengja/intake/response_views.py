"""A client filling in and signing a professional's forms; the answers for the
two of them (and nobody else: every lookup is tengja.intake.responses')."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.intake.answers import AnswersForm, SignForm, answer_rows
from tengja.intake.models import FormResponse, IntakeForm
from tengja.intake.pdf import consent_pdf, signed_line
from tengja.intake.responses import (
    ResponseError,
    form_for_client,
    response_for_user,
    response_open,
    response_save,
    response_sign,
    response_submit,
)
from tengja.lib.http import render_form

SEND, SIGN, SAVE = "send", "sign", "save"


def _refusal(response: FormResponse) -> str:
    if response.state == FormResponse.State.SIGNED:
        return _("This consent is signed: it can no longer be changed.")
    return _("This form has been sent: it can no longer be changed.")


def _page(
    request: AuthenticatedRequest,
    response: FormResponse,
    answers: AnswersForm,
    sign: SignForm | None,
) -> HttpResponse:
    is_consent = response.snapshot.get("kind") == IntakeForm.Kind.CONSENT
    return render_form(
        request,
        "intake/response_fill.html",
        {
            "response": response,
            "professional": response.professional,
            "is_consent": is_consent,
            "form": answers,
            "sign_form": sign,
            "rows": answer_rows(response) if response.is_complete else [],
            "signed_line": signed_line(response) if response.signed_at else "",
        },
        answers,
        sign,
    )


@login_required
def form_fill(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The form to fill in (a draft made on the first visit), saved as the client
    goes (form_save; "Save draft" without JavaScript), then sent, or for a consent
    signed with the full name. Read-only once sent or signed."""
    form = form_for_client(user=request.user, code=code)
    response = response_open(form=form, client=request.user)
    is_consent = response.snapshot.get("kind") == IntakeForm.Kind.CONSENT
    name = request.user.name
    if request.method != "POST":
        return _page(
            request,
            response,
            AnswersForm(response=response),
            SignForm(name=name) if is_consent else None,
        )
    if response.is_complete:
        messages.error(request, _refusal(response))
        return redirect("intake:form_fill", code=code)
    action = request.POST.get("action", SAVE)
    if action not in (SAVE, SEND, SIGN) or (action == SEND and is_consent):
        action = SAVE
    if action == SIGN and not is_consent:
        action = SAVE
    answers = AnswersForm(request.POST, response=response, strict=action != SAVE)
    sign = SignForm(request.POST if action == SIGN else None, name=name) if is_consent else None
    if not answers.is_valid() or (action == SIGN and sign is not None and not sign.is_valid()):
        return _page(request, response, answers, sign)
    # The version of the form on the page the client read: a send or a signature
    # of anything else is refused (responses._locked).
    read = request.POST.get("version", "")
    version = int(read) if read.isdigit() else -1
    try:
        if action == SIGN:
            assert sign is not None
            response_sign(
                response=response,
                answers=answers.answers(),
                name=sign.cleaned_data["signed_name"],
                version=version,
            )
            messages.success(request, _("Signed. You can download the signed copy below."))
        elif action == SEND:
            response_submit(response=response, answers=answers.answers(), version=version)
            messages.success(
                request, _("Sent to %(name)s.") % {"name": form.professional.user.name}
            )
        else:
            response_save(response=response, answers=answers.answers())
            messages.success(request, _("Draft saved."))
    except ResponseError as error:
        messages.error(request, str(error))
    return redirect("intake:form_fill", code=code)


@login_required
@require_POST
def form_save(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The draft saved in the background (static/js/intake.js), as JSON: what was
    wrong (400, nothing saved), refused once sent or signed (409), or when saved."""
    form = form_for_client(user=request.user, code=code)
    response = response_open(form=form, client=request.user)
    if response.is_complete:
        return JsonResponse({"error": _refusal(response)}, status=409)
    answers = AnswersForm(request.POST, response=response)
    if not answers.is_valid():
        return JsonResponse(
            {"errors": {key: [str(e) for e in errs] for key, errs in answers.errors.items()}},
            status=400,
        )
    try:
        saved = response_save(response=response, answers=answers.answers())
    except ResponseError as error:
        return JsonResponse({"error": str(error)}, status=409)
    at = time_format(timezone.localtime(saved.updated_at), "TIME_FORMAT")
    return JsonResponse({"saved": True, "message": _("Saved at %(time)s") % {"time": at}})


@login_required
def response_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """A response with its answers, for its client and its professional; a draft
    shows the professional only that it was started."""
    response = response_for_user(user=request.user, code=code)
    is_professional = response.professional.user_id == request.user.pk
    hidden = is_professional and response.state == FormResponse.State.DRAFT
    return render(
        request,
        "intake/response_detail.html",
        {
            "response": response,
            "is_professional": is_professional,
            "rows": [] if hidden else answer_rows(response),
            "hidden": hidden,
            "signed_line": signed_line(response) if response.signed_at else "",
        },
    )


@login_required
def response_pdf(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The signed consent as a PDF, for its client and its professional."""
    response = response_for_user(user=request.user, code=code)
    if response.state != FormResponse.State.SIGNED:
        raise Http404
    pdf = HttpResponse(consent_pdf(response), content_type="application/pdf")
    pdf["Content-Disposition"] = f'attachment; filename="consent-{response.code}.pdf"'
    return pdf
