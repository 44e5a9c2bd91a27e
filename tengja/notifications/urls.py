from django.urls import path

from tengja.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("settings/", views.notification_settings, name="settings"),
    path("settings/calendar/new-address/", views.feed_address_renew, name="feed_renew"),
    path("<str:code>/open/", views.notification_open, name="open"),
    path("feed/<int:user_id>/<str:token>.ics", views.feed, name="feed"),
    path("sessions/<str:code>/calendar.ics", views.booking_calendar, name="booking_ics"),
]
