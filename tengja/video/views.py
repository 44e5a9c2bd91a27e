from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from tengja.accounts.requests import AuthenticatedRequest
from tengja.bookings.gates import join_blockers
from tengja.bookings.models import Booking
from tengja.bookings.selectors import booking_for_user
from tengja.bookings.services import invitation_seen
from tengja.lib.middleware import permissions_policy_with
from tengja.video.ice import ice_servers_for


@login_required
def join(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The device check, the waiting room and the call, in one page."""
    booking = booking_for_user(user=request.user, code=code)
    role = booking.role_of(request.user)
    is_professional = role == Booking.Role.PROFESSIONAL
    if booking.is_on_site:
        # No call, ever: the page says where the session is instead.
        return render(request, "video/closed.html", {"booking": booking}, status=404)
    if not booking.is_joinable() or booking.client_id is None:
        return render(request, "video/closed.html", {"booking": booking}, status=403)
    blocker = join_blockers([booking]).get(booking.pk, "")
    if blocker and not is_professional:
        # What the professional needs first: the page says what, with the way there.
        return render(
            request, "video/closed.html", {"booking": booking, "blocker": blocker}, status=403
        )
    if is_professional:
        # Until the invited client has opened their session, the professional sees
        # the address they invited, not the account's name or picture.
        other = booking.client if booking.client_is_known else None
        other_name = booking.client_label
    else:
        invitation_seen(booking=booking)  # the client has their session in front of them
        other = booking.professional.user
        other_name = other.name
    config = {
        "ws_path": f"/ws/sessions/{booking.code}/",  # tengja.video.routing
        "role": role,
        "other_name": other_name,
        "ice_servers": ice_servers_for(user_id=request.user.pk),
        "ice_transport_policy": settings.VIDEO_ICE_TRANSPORT_POLICY,
        "session_url": reverse("bookings:detail", kwargs={"code": booking.code}),
        "messages": {
            "error_permission": _(
                "Your browser is not allowed to use the camera and microphone. Click the camera "
                "icon in the address bar, choose Allow, then press Test again."
            ),
            "error_no_device": _(
                "No camera or microphone was found. Plug one in (or turn it on), then press "
                "Test again."
            ),
            "error_in_use": _(
                "The camera or microphone is busy in another program. Close it, then press "
                "Test again."
            ),
            "error_generic": _("The camera and microphone could not be started. Press Test again."),
            "audio_only_device": _("No camera found: you will join with sound only."),
            "waiting": _("Waiting for %(name)s to join. The call starts by itself.")
            % {"name": other_name},
            "connecting": _("Connecting to %(name)s…") % {"name": other_name},
            "connected": _("You are in the call with %(name)s.") % {"name": other_name},
            "reconnecting": _("Connection lost. Reconnecting…"),
            "lost": _(
                "The connection could not be restored. Check your internet connection, then "
                "press Reconnect."
            ),
            "setup_retrying": _("The connection could not be set up. Trying again…"),
            "setup_failed": _(
                "The connection could not be set up. Check your internet connection, then "
                "press Try again."
            ),
            "relay_refused": _(
                "The call could not be set up through the video relay. Reload the page, then "
                "join again."
            ),
            "reload": _("Reload page"),
            "reconnect": _("Reconnect"),
            "try_again": _("Try again"),
            "peer_reconnecting": _("%(name)s lost the connection. Waiting for them…")
            % {"name": other_name},
            "peer_left": _("%(name)s has left the call.") % {"name": other_name},
            "replaced": _("You joined this call from another window, so this one has stopped."),
            "refused": _("This call is not open to you now."),
            "cancelled": _("This session has been cancelled."),
            "signed_out": _("You have signed out."),
            "unavailable": _(
                "The video connection service is not reachable right now. Trying again…"
            ),
            "you_left": _("You have left the call."),
            "peer_muted": _("%(name)s has muted their microphone.") % {"name": other_name},
            "peer_camera_off": _("%(name)s has turned their camera off.") % {"name": other_name},
            "peer_audio_only": _("%(name)s's connection is weak: their video is paused.")
            % {"name": other_name},
            "audio_only": _(
                "Your connection is too weak for video: your video is paused, sound goes on."
            ),
            "quality_good": _("Connection: good"),
            "quality_fair": _("Connection: fair"),
            "quality_poor": _("Connection: poor"),
            "mute": _("Mute"),
            "unmute": _("Unmute"),
            "camera_off": _("Turn camera off"),
            "camera_on": _("Turn camera on"),
            "share": _("Share screen"),
            "stop_share": _("Stop sharing"),
            "you": _("You"),
        },
    }
    response = render(
        request,
        "video/join.html",
        {
            "booking": booking,
            "config": config,
            "other": other,
            "other_name": other_name,
            "is_professional": is_professional,
        },
    )
    # The one page that may use the camera, microphone, screen sharing and the
    # choice of speaker (this origin only; not a frame of any other).
    response["Permissions-Policy"] = permissions_policy_with(
        camera="(self)",
        microphone="(self)",
        display_capture="(self)",
        speaker_selection="(self)",
    )
    return response
