"""Who hears of a change to a booking or a bill, and in which order (published by
tengja.bookings.events and tengja.billing.events; connected in apps.py)."""

from tengja.billing import services as billing
from tengja.hubs import services as hubs
from tengja.intake import selectors as intake
from tengja.notifications import measures as notification_measures
from tengja.notifications import requests as notification_requests
from tengja.notifications import services as notifications
from tengja.video import services as video

# Told of every booking change, in this order: the credit and the bill are
# settled before anyone is told, so what people are told (and what their pages
# show) is already true.
BOOKING_SUBSCRIBERS = (
    hubs.on_booking_event,  # a cancelled credit session's credit back
    billing.on_booking_event,  # the bill issued, voided or refunded
    notifications.on_booking_event,  # e-mails and in-app notices
    video.on_booking_event,  # a cancelled session's open call ends
)

# Told of every change to a session request (tengja.bookings.requests).
REQUEST_SUBSCRIBERS = (notification_requests.on_request_event,)  # e-mails and in-app notices

# Told of every questionnaire sent and answer that needs attention (tengja.measures.events).
MEASURE_SUBSCRIBERS = (notification_measures.on_measure_event,)  # in-app notices

# Told of every change to a bill.
BILLING_SUBSCRIBERS = (notifications.on_billing_event,)

# Asked before a session's call may start (tengja.bookings.gates), in this order:
# the first reason is the one the Join button gives.
JOIN_CHECKS = (
    intake.details_join_blockers,  # the details the professional requires
    intake.forms_join_blockers,  # the forms and consent before the first session
)
