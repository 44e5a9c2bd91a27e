import copy
import time
from base64 import b32encode

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tengja.accounts import services
from tengja.accounts.backends import USER_BACKEND
from tengja.accounts.forms import (
    EmailChangeForm,
    PasswordConfirmForm,
    PictureForm,
    ProfileForm,
    SignInCodeForm,
    SignInForm,
    SignUpForm,
    TwoFactorEnableForm,
    signup_time_zone,
)
from tengja.accounts.lockout import lockout_username
from tengja.accounts.models import EmailChange, RecoveryCodes, User
from tengja.accounts.requests import AuthenticatedRequest
from tengja.accounts.selectors import (
    email_change_waiting,
    second_factor_required,
    two_factor_enabled,
    two_factor_state,
)
from tengja.lib.http import render_form, safe_next
from tengja.lib.limits import (
    email_allowed,
    sign_in_blocked,
    sign_in_code_blocked_here,
    sign_in_code_failed_here,
    sign_in_codes_blocked,
    signup_allowed,
)


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view; a new password also lifts a sign-in lockout of the address."""

    def form_valid(self, form):
        axes_reset(username=lockout_username(self.request, {"username": self.user.email}))
        return super().form_valid(form)


class SignOutView(auth_views.LogoutView):
    """Django's view; an open call in this browser session ends with it."""

    def post(self, request, *args, **kwargs):
        user_id, session_key = request.user.pk, request.session.session_key
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            services.user_signed_out(user_id=user_id, session_key=session_key)
        return response


class SignInView(auth_views.LoginView):
    """Django's sign-in, refused for a while to a client address that has failed
    too often across any accounts (axes counts one address from one IP)."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if sign_in_blocked(request=request):
            return sign_in_blocked_page(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """The password is right. With two-step sign-in on, the person is not signed
        in yet: the session remembers who they said they were, for a few minutes."""
        user = form.get_user()
        if not two_factor_enabled(user=user):
            return super().form_valid(form)
        self.request.session[SIGN_IN_PENDING] = {
            "user": user.pk,
            "backend": user.backend,  # type: ignore[attr-defined]  # set by authenticate()
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("accounts:login_code")


SIGN_IN_PENDING = "tengja_sign_in_pending"


def _pending_sign_in(request: HttpRequest) -> tuple[User | None, dict]:
    pending = request.session.get(SIGN_IN_PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > settings.SIGN_IN_CODE_TIMEOUT:
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code.
    A wrong code is a failed sign-in: it counts toward the lockout like a wrong
    password."""
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    user, pending = _pending_sign_in(request)
    if user is None:
        request.session.pop(SIGN_IN_PENDING, None)
        if request.method == "POST":
            messages.error(request, _("That took too long. Sign in again."))
        return redirect("accounts:login")
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST":
        if sign_in_blocked(request=request):
            return sign_in_blocked_page(request)
        credentials = {"username": user.email}
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(SIGN_IN_PENDING, None)
            return get_lockout_response(request, None, credentials)
        # Wrong codes are limited per account and client address: whoever types them
        # elsewhere, the owner's right code from here still signs them in.
        for blocked, reason in (
            (sign_in_codes_blocked(user=user), "codes_for_account"),
            (sign_in_code_blocked_here(request=request, user=user), "codes_from_here"),
        ):
            if blocked:
                request.session.pop(SIGN_IN_PENDING, None)
                return render(request, "accounts/locked_out.html", {"reason": reason}, status=429)
        if form.is_valid():
            device = services.sign_in_code_check(user=user, code=form.cleaned_data["code"])
            if device is not None:
                request.session.pop(SIGN_IN_PENDING, None)
                login(request, user, backend=pending["backend"])
                otp_login(request, device)
                if isinstance(device, RecoveryCodes):
                    messages.warning(
                        request,
                        _(
                            "You signed in with a recovery code; it cannot be used again. "
                            "%(count)d are left: see Two-step sign-in in your profile."
                        )
                        % {"count": two_factor_state(user=user).recovery_codes_left},
                    )
                return redirect(pending["next"])
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            sign_in_code_failed_here(request=request, user=user)
            form.add_error("code", _("That code is not right. Type the newest code and try again."))
            if getattr(request, "axes_locked_out", False):
                request.session.pop(SIGN_IN_PENDING, None)
    return render_form(request, "accounts/login_code.html", {"form": form}, form)


def sign_in_blocked_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/locked_out.html", {"whole_network": True}, status=429)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard:home")
    form = SignUpForm(request.POST or None, **signup_time_zone(request))
    if request.method == "POST" and form.is_valid() and signup_allowed(request=request, form=form):
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
            login(request, user, backend=USER_BACKEND)
            messages.success(request, _("Welcome to Tengja, %(name)s.") % {"name": user.name})
            return redirect(safe_next(request, reverse("dashboard:home")))
    return render_form(
        request, "accounts/signup.html", {"form": form, "next": safe_next(request, "")}, form
    )


def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/terms.html", {"terms_version": settings.TERMS_VERSION})


def profile_page(request: AuthenticatedRequest, **forms) -> HttpResponse:
    user = request.user
    context = {
        "profile_form": forms.get("profile_form") or ProfileForm(instance=user),
        "picture_form": forms.get("picture_form") or PictureForm(),
        "email_form": forms.get("email_form") or EmailChangeForm(user),
        "two_factor_off_form": forms.get("two_factor_off_form")
        or PasswordConfirmForm(user, auto_id="id_off_%s"),
        "pending_email": email_change_waiting(user=user),
        "two_factor": two_factor_state(user=user),
    }
    return render_form(request, "accounts/profile.html", context, *forms.values())


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
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
    # Said in the language just chosen: the page that shows it speaks that one.
    with translation.override(request.user.language):
        messages.success(request, _("Your profile has been saved."))
    return response


@login_required
@require_POST
def picture(request: AuthenticatedRequest) -> HttpResponse:
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
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST)
    if not form.is_valid():
        return profile_page(request, email_form=form)
    new_email = form.cleaned_data["new_email"]
    # Over the limit for e-mails the answer is the same; only no link goes out.
    if email_allowed(request=request, address=new_email):
        services.email_change_request(user=request.user, new_email=new_email)
    messages.success(
        request,
        _("We sent a link to %(email)s. Your email changes when you open it.")
        % {"email": new_email},
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


TWO_FACTOR_KEY = "tengja_two_factor_key"


@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Set up two-step sign-in: the app is given a secret (as a QR code, or typed),
    and a code from the app and the password turn it on. The secret waits in the
    session until then, so nothing is stored for a set-up left half-way."""
    if two_factor_enabled(user=request.user):
        return redirect("accounts:profile")
    key = request.session.get(TWO_FACTOR_KEY) or services.two_factor_key_new()
    request.session[TWO_FACTOR_KEY] = key
    form = TwoFactorEnableForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_enable(
                user=request.user, key=key, code=form.cleaned_data["code"]
            )
        except services.AccountError as error:
            form.add_error("code", str(error))
        else:
            del request.session[TWO_FACTOR_KEY]
            otp_login(request, TOTPDevice.objects.get(user=request.user))
            # Shown in this answer only: nothing keeps them but their hashes.
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    app = TOTPDevice(user=request.user, key=key)  # not saved: for its otpauth:// address
    secret = b32encode(app.bin_key).decode()
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": segno.make(app.config_url, error="m").svg_data_uri(scale=5, border=2),
        "required": second_factor_required(user=request.user),
    }
    return render_form(request, "accounts/two_factor.html", context, form)


@login_required
@require_POST
def two_factor_disable(request: AuthenticatedRequest) -> HttpResponse:
    if second_factor_required(user=request.user):
        messages.error(request, _("Two-step sign-in is required for your role on Tengja."))
        return redirect("accounts:profile")
    form = PasswordConfirmForm(request.user, request.POST, auto_id="id_off_%s")
    if not form.is_valid():
        return profile_page(request, two_factor_off_form=form)
    services.two_factor_disable(user=request.user)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    messages.success(request, _("Two-step sign-in is off. You sign in with your password only."))
    return redirect("accounts:profile")
