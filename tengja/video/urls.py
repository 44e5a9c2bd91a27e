from django.urls import path

from tengja.video import views

app_name = "video"

urlpatterns = [
    path("sessions/<str:code>/join/", views.join, name="join"),
]
