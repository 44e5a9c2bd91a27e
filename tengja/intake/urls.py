from django.urls import path

from tengja.intake import response_views, views  # noqa: F401

app_name = "intake"
urlpatterns: list = [
    # The professional's pages live under /practice/, the client's under /intake/.
    path("intake/forms/<str:code>/", response_views.form_fill, name="form_fill"),
    path("intake/forms/<str:code>/save/", response_views.form_save, name="form_save"),
    path("intake/responses/<str:code>/", response_views.response_detail, name="response_detail"),
    path(
        "intake/responses/<str:code>/signed.pdf",
        response_views.response_pdf,
        name="response_pdf",
    ),
]
