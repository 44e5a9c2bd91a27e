from django.urls import path

from tengja.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("connections/", views.connections, name="connections"),
    path("connections/<str:code>/", views.connection, name="connection"),
    path("practice/week/", views.practice_week, name="practice_week"),
    path("practice/activities/", views.practice_activities, name="practice_activities"),
    path(
        "practice/activities.csv",
        views.practice_activities_export,
        {"kind": "csv"},
        name="practice_activities_csv",
    ),
    path(
        "practice/activities.xlsx",
        views.practice_activities_export,
        {"kind": "xlsx"},
        name="practice_activities_xlsx",
    ),
    path("practice/hubs/", views.practice_hubs, name="practice_hubs"),
    path("practice/clients/", views.practice_clients, name="practice_clients"),
    path("practice/clients/<str:code>/", views.practice_client, name="practice_client"),
]
