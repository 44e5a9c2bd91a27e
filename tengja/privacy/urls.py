from django.urls import path

from tengja.privacy import views

app_name = "privacy"

urlpatterns = [
    path("export/", views.export_request, name="export_request"),
    path("export/<str:token>/", views.export_download, name="export_download"),
    path("delete/", views.delete, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
]
