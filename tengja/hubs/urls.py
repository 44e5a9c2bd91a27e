from django.urls import path

from tengja.hubs import views

app_name = "hubs"

urlpatterns = [
    path("verify/<str:token>/", views.verify, name="verify"),
    path("credit-requests/<str:booking_code>/", views.credit_request, name="credit_request"),
    path("<str:code>/", views.hub, name="hub"),
    path("<str:code>/join/", views.join, name="join"),
    path("<str:code>/professionals/", views.browse, name="browse"),
    path("<str:code>/professionals/<str:professional_code>/", views.offer, name="offer"),
    path("<str:code>/admin/", views.hub_admin, name="admin"),
]
