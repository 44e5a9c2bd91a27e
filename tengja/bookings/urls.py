from django.urls import path

from tengja.bookings import views

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
]
