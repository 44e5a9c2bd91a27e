from django.urls import path

from tengja.hubs import views

app_name = "hubs"

urlpatterns = [
    path("<str:code>/", views.hub, name="hub"),
]
