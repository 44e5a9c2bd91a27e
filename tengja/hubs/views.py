import copy
from collections import defaultdict
from datetime import datetime, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tengja.accounts.backends import USER_BACKEND
from tengja.accounts.forms import SignUpForm, signup_time_zone
from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings.models import Booking
from tengja.bookings.selectors import booking_for_user
from tengja.bookings.slots import free_slots
from tengja.hubs import services
from tengja.hubs.forms import (
    CreditRequestForm,
    DomainForm,
    HubFindForm,
    HubSettingsForm,
    InviteAddressForm,
    JoinForm,
    OfferAnswerForm,
    OfferForm,
    RemoveMemberForm,
)
from tengja.hubs.models import CreditRequest, Hub, HubProfessional, Membership
from tengja.hubs.selectors import (
    MembershipPending,
    active_membership,
    credit_requests_for_hr,
    hub_for_admin,
    hub_public,
    hub_usage_kept,
    offer_in_hub,
    offers_for_browse,
    offers_public,
)
from tengja.lib.http import render_form
from tengja.lib.limits import email_allowed, signup_allowed
from tengja.professionals.models import Specialty
from tengja.professionals.selectors import professional_for_user

SLOT_DAYS = 14
WITHIN_CHOICES = ("3", "7", "14")


def find(request: HttpRequest) -> HttpResponse:
    """Where a visitor who has their hub's link (from HR) but lost the page goes:
    paste the link or the code, and be taken to the hub."""
    form = HubFindForm(request.GET or None)
    if form.is_bound and form.is_valid():
        if Hub.objects.filter(code=form.cleaned_data["link"]).exists():
            return redirect("hubs:hub", code=form.cleaned_data["link"])
        form.add_error(
            "link", _("We found no Wellbeing Hub with that link. Check it with your HR team.")
        )
    return render_form(request, "hubs/find.html", {"form": form}, form)


def hub(request: HttpRequest, code: str) -> HttpResponse:
    """A Wellbeing Hub's public page: the link HR hands to employees."""
    hub = hub_public(code=code)
    membership = None
    is_hr = False
    balance, expires = 0, None
    if request.user.is_authenticated:
        membership = Membership.objects.filter(hub=hub, user=request.user).first()
        is_hr = hub.company.admins.filter(pk=request.user.pk).exists()
        if membership is not None and membership.is_active:
            # What Home and the professionals list say too.
            balance, expires = services.credits_left(membership=membership)
    return render(
        request,
        "hubs/hub.html",
        {
            "hub": hub,
            "membership": membership,
            "balance": balance,
            "expires": expires,
            # The one place that names the professionals offered (HR manages them here).
            "offers": offers_public(hub=hub),
            "is_hr": is_hr,
            # The header's "Create an account" leads to the hub's own sign-up, which
            # claims the credits, like the button on the page.
            "signup_url": reverse("hubs:join", args=[code]),
        },
    )


def join(request: HttpRequest, code: str) -> HttpResponse:
    """Create an account to claim the credits, or join with the account one has."""
    hub = hub_public(code=code)
    if request.user.is_authenticated:
        form: JoinForm | SignUpForm = JoinForm(
            request.POST or None, initial={"email": request.user.email}
        )
        if request.method == "POST" and form.is_valid():
            try:
                # Over the limit, the answer is the same; only no e-mail goes out.
                services.membership_join(
                    hub=hub,
                    user=request.user,
                    email=form.cleaned_data["email"],
                    send_link=email_allowed(request=request, address=form.cleaned_data["email"]),
                )
            except services.HubError as error:
                form.add_error("email", str(error))
            else:
                messages.success(
                    request,
                    _("Almost there: open the link we sent to %(email)s to get your credits.")
                    % {"email": form.cleaned_data["email"]},
                )
                return redirect("dashboard:home")
        return render_form(request, "hubs/join.html", {"hub": hub, "form": form}, form)
    form = SignUpForm(request.POST or None, **signup_time_zone(request))
    if request.method == "POST" and form.is_valid() and signup_allowed(request=request, form=form):
        try:
            user = services.hub_sign_up(
                hub=hub,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                language=request.LANGUAGE_CODE,
                time_zone=form.cleaned_data["time_zone"],
                send_link=email_allowed(request=request, address=form.cleaned_data["email"]),
            )
        except services.HubError as error:
            form.add_error("email", str(error))
        else:
            login(request, user, backend=USER_BACKEND)
            messages.success(
                request,
                _("Welcome, %(name)s. Open the link we sent to %(email)s to get your credits.")
                % {"name": user.name, "email": user.email},
            )
            return redirect("dashboard:home")
    return render_form(
        request,
        "hubs/signup.html",
        {"hub": hub, "form": form, "signup_url": reverse("hubs:join", args=[code])},
        form,
    )


@login_required
def verify(request: AuthenticatedRequest, token: str) -> HttpResponse:
    try:
        membership = services.membership_for_token(token=token)
        if request.method == "POST":
            membership = services.membership_verify(token=token, user=request.user)
            messages.success(request, _("Your e-mail is confirmed and your credits are ready."))
            return redirect("hubs:browse", code=membership.hub.code)
    except services.HubError as error:
        return render(request, "accounts/link_problem.html", {"problem": str(error)}, status=400)
    return render(request, "hubs/verify.html", {"membership": membership})


def members_only(view):
    """For the hub's active members. A pending member is sent to the hub's page,
    which asks them to confirm their work address first."""

    @wraps(view)
    @login_required
    def wrapper(request: AuthenticatedRequest, code: str, **kwargs) -> HttpResponse:
        try:
            membership = active_membership(user=request.user, code=code)
        except MembershipPending as pending:
            messages.info(
                request,
                _("Confirm your work e-mail before you book: open the link we sent to %(email)s.")
                % {"email": pending.membership.email},
            )
            return redirect("hubs:hub", code=code)
        return view(request, membership.hub, membership, **kwargs)

    return wrapper


@members_only
def browse(request: AuthenticatedRequest, hub: Hub, membership: Membership) -> HttpResponse:
    """The hub's professionals, each with their next free time, and the member's
    credits left."""
    within: str | int | None = request.GET.get("within", "")
    # Only the choices the filter offers; anything else means no limit.
    within = int(within) if within in WITHIN_CHOICES else None
    specialty = request.GET.get("specialty", "")[:80]
    language = request.GET.get("language", "")[:8]
    offers = offers_for_browse(hub=hub, specialty=specialty, language=language, within_days=within)
    balance, expires = services.credits_left(membership=membership)
    return render(
        request,
        "hubs/browse.html",
        {
            "hub": hub,
            "membership": membership,
            "balance": balance,
            "expires": expires,
            "offers": offers,
            "specialties": Specialty.objects.filter(professionals__hub_offers__hub=hub).distinct(),
            "languages": [("is", "Íslenska"), ("en", "English")],
            "selected": {"specialty": specialty, "language": language, "within": within},
        },
    )


@members_only
def offer(
    request: AuthenticatedRequest, hub: Hub, membership: Membership, professional_code: str
) -> HttpResponse:
    """An offered professional and their free times; choosing one leads to the review."""
    offer = offer_in_hub(hub=hub, professional_code=professional_code)
    assert offer.session_type is not None  # an accepted offer has one
    credits = services.balance(membership=membership)
    slots = free_slots(
        professionals=[offer.professional],
        duration=offer.session_type.duration,
        start=timezone.localdate(),
        days=SLOT_DAYS,
    ).get(offer.professional_id, [])
    by_day = defaultdict(list)
    for slot in slots:
        by_day[timezone.localtime(slot.starts_at).date()].append(slot)
    return render(
        request,
        "hubs/offer.html",
        {
            "hub": hub,
            "offer": offer,
            "professional": offer.professional,
            "days": sorted(by_day.items()),
            "credits": credits,
            "enough": credits >= offer.credits,
        },
    )


def _chosen_time(value: str) -> datetime | None:
    """A free time as the offer page names it: aware, and within the days it shows
    (which also keeps the year 9999 away from date arithmetic); else None."""
    try:
        starts_at = datetime.fromisoformat(value[:40])
        if starts_at.tzinfo is None or not (
            timezone.now() <= starts_at <= timezone.now() + timedelta(days=SLOT_DAYS + 1)
        ):
            return None
    except (ValueError, OverflowError):
        return None
    return starts_at


@members_only
def review(
    request: AuthenticatedRequest, hub: Hub, membership: Membership, professional_code: str
) -> HttpResponse:
    """Before credits or money are spent: who, when (in the viewer's zone), what,
    and what it costs. GET only shows; the confirm button (POST) books."""
    offer = offer_in_hub(hub=hub, professional_code=professional_code)
    assert offer.session_type is not None  # an accepted offer has one
    starts_at = _chosen_time(request.POST.get("starts_at") or request.GET.get("starts_at", ""))
    if starts_at is None:
        messages.error(request, _("Choose one of the free times."))
        return redirect("hubs:offer", code=hub.code, professional_code=professional_code)
    credits = services.balance(membership=membership)
    enough = credits >= offer.credits
    if request.method == "POST":
        try:
            booking = services.hub_book(
                membership=membership, offer=offer, starts_at=starts_at, use_credits=enough
            )
        except services.HubError as error:
            messages.error(request, str(error))
            return redirect("hubs:offer", code=hub.code, professional_code=professional_code)
        if booking.paid_with == Booking.PaidWith.INVOICE and booking.price_amount:
            # "Book and pay": booked, and now straight on to paying its bill.
            messages.success(request, _("Your session is booked. Now pay for it to finish."))
            return redirect("billing:session_pay", code=booking.code)
        messages.success(request, _("Your session is booked."))
        return redirect("bookings:detail", code=booking.code)
    if not services.offer_time_is_free(offer=offer, starts_at=starts_at):
        # A crafted or stale link (time off, taken since): said now, not after the button.
        messages.error(request, _("That time is not free. Choose one of the free times."))
        return redirect("hubs:offer", code=hub.code, professional_code=professional_code)
    # The session as it would be booked, so that the review's Cancellation says what
    # the session page will say (within 24 hours, cancelling spends the credit).
    draft = Booking(
        starts_at=starts_at,
        ends_at=starts_at + offer.session_type.duration,
        paid_with=Booking.PaidWith.CREDITS if enough else Booking.PaidWith.INVOICE,
        credits=offer.credits,
        cancellation_notice_hours=services.CREDIT_NOTICE_HOURS,
    )
    return render(
        request,
        "hubs/review.html",
        {
            "hub": hub,
            "offer": offer,
            "professional": offer.professional,
            "starts_at": starts_at,
            "ends_at": starts_at + offer.session_type.duration,
            "credits": credits,
            "enough": enough,
            "credits_after": credits - offer.credits,
            "draft": draft,
            "phase": draft.phase(),
        },
    )


# ------------------------------------------------------------------ for HR
# One page shows everything; each change posts to its own address, whose view
# calls one service and comes back to the page (or shows it again, with the
# form's errors, status 400).


def hr_only(view):
    """For the HR admins of the hub's company; 404 for anyone else."""

    @wraps(view)
    @login_required
    def wrapper(request: AuthenticatedRequest, code: str, **kwargs) -> HttpResponse:
        return view(request, hub_for_admin(user=request.user, code=code), **kwargs)

    return wrapper


def _hr_page(request: HttpRequest, hub: Hub, **forms) -> HttpResponse:
    """HR's page, with a form's errors when one was sent back."""
    context = {
        "hub": hub,
        "settings_form": forms.get("settings_form") or HubSettingsForm(instance=hub),
        "domain_form": forms.get("domain_form") or DomainForm(),
        "address_form": forms.get("address_form") or InviteAddressForm(prefix="invite"),
        "remove_form": forms.get("remove_form") or RemoveMemberForm(prefix="remove"),
        "offer_form": forms.get("offer_form") or OfferForm(),
        # Ended months only, in the hub's zone.
        "usage": hub_usage_kept(hub=hub),
        "requests": credit_requests_for_hr(hub=hub),
        "domains": hub.domains.all(),
        "invited": hub.invited_addresses.all(),
    }
    return render_form(request, "hubs/admin.html", context, *forms.values())


@hr_only
def hub_admin(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    """For the company's HR team: settings, who may join, what is offered, and
    usage in aggregate only."""
    return _hr_page(request, hub)


@require_POST
@hr_only
def hub_settings(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    form = HubSettingsForm(request.POST, instance=copy.copy(hub))
    if not form.is_valid():
        return _hr_page(request, hub, settings_form=form)
    services.hub_settings_update(hub=hub, **form.cleaned_data)
    messages.success(request, _("The hub's settings have been saved."))
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_domain_add(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    form = DomainForm(request.POST)
    if not form.is_valid():
        return _hr_page(request, hub, domain_form=form)
    services.hub_domain_add(hub=hub, domain=form.cleaned_data["domain"])
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_domain_remove(request: AuthenticatedRequest, hub: Hub, domain: str) -> HttpResponse:
    services.hub_domain_remove(hub=hub, domain=domain)
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_address_invite(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    form = InviteAddressForm(request.POST, prefix="invite")
    if not form.is_valid():
        return _hr_page(request, hub, address_form=form)
    services.hub_address_invite(hub=hub, email=form.cleaned_data["email"])
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_member_remove(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    form = RemoveMemberForm(request.POST, prefix="remove")
    if not form.is_valid():
        return _hr_page(request, hub, remove_form=form)
    services.membership_remove(hub=hub, email=form.cleaned_data["email"])
    # The same answer either way: it must not tell HR who is a member.
    messages.success(
        request,
        _(
            "If that address belonged to a member, their membership has ended. "
            "Sessions already booked stay."
        ),
    )
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_offer_set(request: AuthenticatedRequest, hub: Hub) -> HttpResponse:
    form = OfferForm(request.POST)
    if not form.is_valid():
        return _hr_page(request, hub, offer_form=form)
    email = form.cleaned_data["professional_email"]
    services.hub_offer_ask(
        hub=hub, professional_email=email, send_email=email_allowed(request=request, address=email)
    )
    # The same answer either way: it must not tell whether the address is a professional's.
    messages.success(
        request,
        _(
            "If a professional has that address, they have been asked to accept. "
            "Once they do, they are listed on the hub's page."
        ),
    )
    return redirect("hubs:admin", code=hub.code)


@require_POST
@hr_only
def hub_offer_remove(
    request: AuthenticatedRequest, hub: Hub, professional_code: str
) -> HttpResponse:
    services.hub_offer_remove(hub=hub, professional_code=professional_code)
    return redirect("hubs:hub", code=hub.code)


@login_required
@require_POST
def offer_answer(request: AuthenticatedRequest, code: str, accept: bool) -> HttpResponse:
    """A professional answers a hub that asked to offer them, or leaves one."""
    professional = professional_for_user(user=request.user)
    offer = get_object_or_404(
        HubProfessional.objects.select_related("hub", "professional"),
        hub__code=code,
        professional=professional,
        # Accepting again changes the session type; declining an accepted offer leaves.
        status__in=[HubProfessional.Status.ASKED, HubProfessional.Status.ACCEPTED],
    )
    session_type = None
    if accept:
        form = OfferAnswerForm(request.POST, professional=professional)
        if not form.is_valid():
            messages.error(request, _("Choose one of your session types."))
            return redirect("dashboard:practice_hubs")
        session_type = form.cleaned_data["session_type"]
    was_accepted = offer.status == HubProfessional.Status.ACCEPTED
    try:
        services.hub_offer_answer(offer=offer, accept=accept, session_type=session_type)
    except services.HubError as error:
        messages.error(request, str(error))
    else:
        if accept:
            text = _("You are offered in %(hub)s.")
        elif was_accepted:
            text = _("You have left %(hub)s. Sessions already booked stay.")
        else:
            text = _("You have declined %(hub)s.")
        messages.success(request, text % {"hub": offer.hub.name})
    return redirect("dashboard:practice_hubs")


@require_POST
@hr_only
def hub_credit_request_decide(
    request: AuthenticatedRequest, hub: Hub, request_code: str, approve: bool
) -> HttpResponse:
    credit_request = get_object_or_404(CreditRequest, membership__hub=hub, code=request_code)
    try:
        services.credit_request_decide(request=credit_request, approve=approve)
    except services.HubError as error:
        messages.error(request, str(error))
    return redirect("hubs:admin", code=hub.code)


@login_required
@require_POST
def credit_request(request: AuthenticatedRequest, booking_code: str) -> HttpResponse:
    """The professional of a hub session asks the company for more credits."""
    booking = booking_for_user(user=request.user, code=booking_code)
    if booking.role_of(request.user) != Booking.Role.PROFESSIONAL:
        raise Http404
    form = CreditRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise services.HubError(_("Ask for between 1 and 50 credits."))
        services.credit_request_create(booking=booking, credits=form.cleaned_data["credits"])
    except services.HubError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The company's HR team has been asked; they do not see who it is for.")
        )
    return redirect("bookings:detail", code=booking.code)
