import copy

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from tengja.accounts import services
from tengja.accounts.forms import (
    EmailChangeForm,
    PictureForm,
    ProfileForm,
    SignUpForm,
    signup_time_zone,
)
from tengja.accounts.lockout import lockout_username
from tengja.accounts.models import EmailChange
from tengja.accounts.selectors import email_change_waiting
from tengja.lib.http import render_form, safe_next


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password also lifts a sign-in lockout of the address."""

    def form_valid(self, form):
        axes_reset(username=lockout_username(self.request, {"username": self.user.email}))
        return super().form_valid(form)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    form = SignUpForm(request.POST or None, **signup_time_zone(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                language=request.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
            )
        except services.AccountError as error:
            form.add_error("email", str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Tengja, %(name)s.") % {"name": user.name})
            return redirect(safe_next(request, reverse("dashboard:home")))
    return render_form(
        request, "accounts/signup.html", {"form": form, "next": safe_next(request, "")}, form
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/terms.html", {"terms_version": settings.TERMS_VERSION})


def profile_page(request: HttpRequest, **forms) -> HttpResponse:
    user = request.user
    context = {
        "profile_form": forms.get("profile_form") or ProfileForm(instance=user),
        "picture_form": forms.get("picture_form") or PictureForm(),
        "email_form": forms.get("email_form") or EmailChangeForm(user),
        "pending_email": email_change_waiting(user=user),
    }
    return render_form(request, "accounts/profile.html", context, *forms.values())


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return profile_page(request)
    # Bind to a copy so a failed form does not show the user a half-changed name.
    form = ProfileForm(request.POST, instance=copy.copy(request.user))
    if not form.is_valid():
        return profile_page(request, profile_form=form)
    services.user_update_profile(
        user=request.user,
        name=form.cleaned_data["name"],
        language=form.cleaned_data["language"],
        time_zone=form.cleaned_data["time_zone"],
    )
    response = redirect("accounts:profile")
    # The next page speaks the new language, whichever way it is chosen later.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        request.user.language,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    messages.success(request, _("Your profile has been saved."))
    return response


@login_required
@require_POST
def picture(request: HttpRequest) -> HttpResponse:
    if "remove" in request.POST:
        services.user_set_picture(user=request.user, picture=None)
        messages.success(request, _("Your picture has been removed."))
        return redirect("accounts:profile")
    form = PictureForm(request.POST, request.FILES)
    if not form.is_valid():
        return profile_page(request, picture_form=form)
    services.user_set_picture(user=request.user, picture=form.cleaned_data["picture"])
    messages.success(request, _("Your picture has been updated."))
    return redirect("accounts:profile")


@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST)
    if not form.is_valid():
        return profile_page(request, email_form=form)
    change = services.email_change_request(
        user=request.user, new_email=form.cleaned_data["new_email"]
    )
    messages.success(
        request,
        _("We sent a link to %(email)s. Your email changes when you open it.")
        % {"email": change.new_email},
    )
    return redirect("accounts:profile")


def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will change; POST changes it (mail scanners only GET links)."""
    try:
        change: EmailChange = services.email_change_pending(token=token)
        if request.method == "POST":
            user = services.email_change_confirm(token=token)
            messages.success(request, _("Your email is now %(email)s.") % {"email": user.email})
            return redirect(
                "accounts:profile" if request.user.is_authenticated else "accounts:login"
            )
    except services.AccountError as error:
        return render(request, "accounts/link_problem.html", {"problem": str(error)}, status=400)
    return render(request, "accounts/email_change_confirm.html", {"change": change})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, also remembered in the profile of a signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if (
        request.user.is_authenticated
        and isinstance(response, HttpResponseRedirect)
        and language in dict(settings.LANGUAGES)
    ):
        services.user_set_language(user=request.user, language=language)
    return response
