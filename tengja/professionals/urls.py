from django.urls import path

from tengja.professionals import views

app_name = "professionals"

urlpatterns = [
    path("practice/session-types/new/", views.session_type_edit, name="session_type_new"),
    path("practice/session-types/<str:code>/", views.session_type_edit, name="session_type"),
    path("practice/profile/", views.profile_edit, name="profile"),
    path("practice/availability/", views.availability, name="availability"),
    path("professionals/<str:code>/", views.public_profile, name="public"),
]
