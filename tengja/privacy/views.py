from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.requests import AuthenticatedRequest
from tengja.lib.http import render_form
from tengja.lib.limits import email_allowed
from tengja.privacy import selectors, services
from tengja.privacy.forms import AccountDeleteForm


@login_required
@require_POST
def export_request(request: AuthenticatedRequest) -> HttpResponse:
    # It ends in an e-mail: the same limits as any e-mail sent on request.
    if email_allowed(request=request, address=request.user.email):
        services.data_export_request(user=request.user)
    messages.success(
        request,
        _(
            "We are gathering your data. A link to download it will arrive by e-mail, "
            "usually within a few minutes."
        ),
    )
    return redirect("accounts:profile")


@login_required
def export_download(request: AuthenticatedRequest, token: str) -> HttpResponseBase:
    """GET says what the file holds; POST downloads it, once (mail scanners only GET)."""
    try:
        export = services.data_export_for_token(user=request.user, token=token)
        if request.method == "POST":
            response = FileResponse(
                services.data_export_take(export=export),
                as_attachment=True,
                filename=f"tengja-{timezone.localdate():%Y-%m-%d}.zip",
                content_type="application/zip",
            )
            response["Cache-Control"] = "private, no-store"
            return response
    except services.PrivacyError as error:
        return render(request, "accounts/link_problem.html", {"problem": str(error)}, status=400)
    return render(request, "privacy/export_download.html", {"export": export})


@login_required
def delete(request: AuthenticatedRequest) -> HttpResponse:
    """Delete my account: what happens is said first; the password (and the second
    step, if on) confirms it."""
    user = request.user
    deletable = services.account_deletable(user=user)
    form = AccountDeleteForm(user, request.POST or None)
    if request.method == "POST" and deletable and form.is_valid():
        try:
            services.account_delete(user=user)
        except services.PrivacyError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            return redirect("privacy:deleted")
    context = {
        "form": form,
        "deletable": deletable,
        "future_sessions": selectors.future_sessions_count(user=user),
    }
    return render_form(request, "privacy/delete.html", context, form)


def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/deleted.html")
