from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tengja.hubs.models import Membership
from tengja.lib import versions
from tengja.notifications.selectors import unread_count
from tengja.professionals.selectors import professional_of_request

# Stand-ins in the kept header and footer for what is the reader's own (the
# footer's language form returns them to the page they are on).
NEXT_PLACEHOLDER = "next0placeholder0for0the0kept0footer"
CHROME_SEPARATOR = "<!--chrome-->"


def header(request: HttpRequest) -> dict:
    """What the header shows of the signed-in person: the unread count, the hub
    behind the house-and-heart icon, and whether they have a practice (see
    `header_of`), and the header and footer themselves, kept (`chrome_of`).
    Each is a callable that templates call, so a page that shows no header asks
    nothing; it gets a real value (Icelandic's plural rule takes `n % 10` of the
    count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": lambda: header_of(request)["unread"],
        "member_hub": lambda: header_of(request)["hub"],
        "has_practice": lambda: header_of(request)["professional_id"] is not None,
        "chrome": lambda: chrome_of(request),
    }


def chrome_of(request: HttpRequest) -> dict:
    """The signed-in page's header and footer (base.html), rendered once per change
    of what they show and kept: the header's values (see `header_of`), the
    person's name, picture and staff flag, the section the page is in (the
    current link), the language and zone. The footer's language form gets the
    reader's CSRF token and the page's address on the way out."""
    if not hasattr(request, "_chrome"):
        user = request.user
        html = versions.fragment(
            *_chrome_parts(request),
            depends_on=header_depends_on(user.pk),
            render=lambda: render_to_string(
                "includes/chrome.html",
                {"language_next": NEXT_PLACEHOLDER, "csrf_token": versions.CSRF_PLACEHOLDER},
                request=request,
            ),
            request=request,
        )
        top, bottom = html.split(CHROME_SEPARATOR)
        bottom = bottom.replace(NEXT_PLACEHOLDER, escape(request.get_full_path()))
        # Our own templates' output, with the reader's address escaped into it.
        request._chrome = {"header": mark_safe(top), "footer": mark_safe(bottom)}  # noqa: S308
    return request._chrome


def _chrome_parts(request: HttpRequest) -> tuple:
    user = request.user
    match = request.resolver_match
    return (
        "chrome",
        user.pk,
        user.name,
        user.picture.name if user.picture else "",
        user.is_staff,
        match and match.namespace,
        match and match.url_name,
        settings.DEBUG,
    )


def _header_parts(user_id: int) -> tuple:
    return ("header", 2, user_id)  # 2: the shape of the value, so no old copy is read


def read_ahead(request: HttpRequest) -> list[str] | None:
    """The keys of the header's values and of the header and footer, which a
    signed-in page reads with its first fragment (tengja.lib.versions.request_scope);
    None until the view is known (the footer is kept per page)."""
    if request.resolver_match is None:
        return None
    return [
        versions.fragment_key(*_chrome_parts(request)),
        versions.kept_key(*_header_parts(request.user.pk)),
    ]


def header_depends_on(user_id: int) -> list[str]:
    """What the header shows changes with: a notification made or read, a hub
    joined or left, a practice opened (tengja.lib.versions)."""
    return [versions.notifications_of_user(user_id), versions.account_of(user_id)]


def header_of(request: HttpRequest) -> dict:
    """The header's values for the signed-in person, and their professional id
    (None for a client or HR admin), which views ask too (Home).

    Worked out once per change of them (tengja.lib.versions: a notification made
    or read, a hub joined or left, a practice opened) and kept as plain values, so
    a page reads none of it from the database; looked up once per request."""
    if not hasattr(request, "_header"):
        user = request.user
        request._header = versions.kept(
            *_header_parts(user.pk),
            depends_on=header_depends_on(user.pk),
            compute=lambda: _header_values(request),
        )
    return request._header


def _header_values(request: HttpRequest) -> dict:
    user = request.user
    # Shown from the moment a person joins: a pending member is taken to the hub's
    # page, which asks them to confirm their work address; an active one to browse.
    membership = (
        Membership.objects.filter(
            user=user, status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]
        )
        .order_by("status", "joined_at")  # "active" sorts before "pending"
        .values("status", "hub__code")
        .first()
    )
    # Shared with the view, which may have looked it up already.
    professional = professional_of_request(request)
    return {
        "unread": unread_count(user=user),
        "hub": membership
        and {
            "is_active": membership["status"] == Membership.Status.ACTIVE,
            "hub": {"code": membership["hub__code"]},
        },
        "professional_id": professional and professional.pk,
    }
