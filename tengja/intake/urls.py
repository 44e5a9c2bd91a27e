from django.urls import path

from tengja.intake import details_views, views  # noqa: F401

app_name = "intake"
urlpatterns: list = [
    # The professional's pages live under /practice/, the client's under /intake/.
    path("practice/client-details/", details_views.required, name="details_required"),
    path("intake/details/<str:code>/", details_views.give, name="details"),
]
