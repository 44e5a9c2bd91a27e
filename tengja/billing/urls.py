from django.urls import path

from tengja.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.payments, name="payments"),
]
