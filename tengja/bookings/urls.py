from django.urls import path

from tengja.bookings import page_views, request_views, views

app_name = "bookings"

urlpatterns = [
    path("sessions/<str:code>/", views.detail, name="detail"),
    path("sessions/<str:code>/cancel/", views.cancel, name="cancel"),
    path("sessions/<str:code>/move/", views.move, name="move"),
    path("sessions/<str:code>/move/confirm/", views.move_confirm, name="move_confirm"),
    path("sessions/<str:code>/series/cancel/", views.series_cancel, name="series_cancel"),
    path("sessions/<str:code>/series/move/", views.series_move, name="series_move"),
    path("sessions/<str:code>/resend/", views.resend, name="resend"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("practice/", views.practice, name="practice"),
    path("practice/invite/", views.invite, name="invite"),
    path("practice/requests/", request_views.practice_requests, name="requests"),
    path(
        "practice/requests/<str:code>/accept/", request_views.request_accept, name="request_accept"
    ),
    path(
        "practice/requests/<str:code>/decline/",
        request_views.request_decline,
        name="request_decline",
    ),
    path("requests/", request_views.my_requests, name="my_requests"),
    path("requests/<str:code>/", request_views.request_detail, name="request"),
    path("requests/<str:code>/withdraw/", request_views.request_withdraw, name="request_withdraw"),
    # A professional's own booking page. The words before <slug> are reserved
    # (tengja.professionals.forms.RESERVED_SLUGS).
    path("book/confirm/<str:token>/", page_views.page_confirm_email, name="page_confirm_email"),
    path("book/sent/<str:code>/", page_views.page_sent, name="page_sent"),
    path("book/<slug:slug>/", page_views.page, name="page"),
    path("book/<slug:slug>/check-email/", page_views.page_check_email, name="page_check_email"),
    path("book/<slug:slug>/<str:code>/", page_views.page_time, name="page_time"),
]
