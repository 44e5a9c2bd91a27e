from django.urls import path

from tengja.professionals import views

app_name = "professionals"

urlpatterns = [
    path("practice/session-types/new/", views.session_type_edit, name="session_type_new"),
    path("practice/session-types/<str:code>/", views.session_type_edit, name="session_type"),
    path(
        "practice/session-types/<str:code>/stop/",
        views.session_type_offered,
        {"offered": False},
        name="session_type_stop",
    ),
    path(
        "practice/session-types/<str:code>/resume/",
        views.session_type_offered,
        {"offered": True},
        name="session_type_resume",
    ),
    path("practice/profile/", views.profile_edit, name="profile"),
    path("practice/booking-page/", views.booking_page, name="booking_page"),
    path("practice/invoice-details/", views.business_details, name="business_details"),
    path("practice/availability/", views.availability, name="availability"),
    path("practice/availability/hours/", views.availability_window_add, name="window_add"),
    path(
        "practice/availability/hours/<str:code>/remove/",
        views.availability_window_remove,
        name="window_remove",
    ),
    path("practice/availability/rules/", views.calendar_rules, name="calendar_rules"),
    path("practice/availability/time-off/", views.time_off_add, name="time_off_add"),
    path("practice/availability/days/", views.availability_exception_add, name="exception_add"),
    path(
        "practice/availability/days/<str:code>/remove/",
        views.availability_exception_remove,
        name="exception_remove",
    ),
    path("professionals/<str:code>/", views.public_profile, name="public"),
    path("professionals/join/<str:token>/", views.join, name="join"),
    # For Tengja's operators: the page, and one address per change.
    path("staff/professionals/", views.staff_professionals, name="staff"),
    path("staff/professionals/invite/", views.staff_invite, name="staff_invite"),
    path(
        "staff/professionals/invitations/<str:code>/resend/",
        views.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "staff/professionals/invitations/<str:code>/withdraw/",
        views.staff_invitation_revoke,
        name="staff_invitation_revoke",
    ),
    path(
        "staff/professionals/<str:code>/pause/",
        views.staff_set_active,
        {"active": False},
        name="staff_deactivate",
    ),
    path(
        "staff/professionals/<str:code>/resume/",
        views.staff_set_active,
        {"active": True},
        name="staff_reactivate",
    ),
]
