"""What people are told in the app of outcome measures (tengja.measures.events).
The e-mails are measures' own (sent there, after commit); these are the notices
in the list and the header's count.

What a notice says is written when shown (templatetags/notification_text.py), and
says little: the client's names only "a questionnaire" and the professional; the
professional's says that a client's answer needs attention, never the score, the
answers or which question."""

from tengja.measures.events import MeasureEvent, MeasureKind
from tengja.notifications.models import Notification


def on_measure_event(event: MeasureEvent) -> None:
    """Told of each questionnaire sent and each answer that needs attention,
    inside the measures service's transaction."""
    request = event.request
    if event.kind == MeasureKind.SENT:
        Notification.objects.create(
            user_id=request.client_id, kind=Notification.Kind.MEASURE_SENT, measure_request=request
        )
    elif event.kind == MeasureKind.ATTENTION:
        Notification.objects.create(
            user_id=request.professional.user_id,
            kind=Notification.Kind.MEASURE_ATTENTION,
            measure_request=request,
        )
