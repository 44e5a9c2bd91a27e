from django.urls import path  # noqa: F401

from tengja.intake import views  # noqa: F401

app_name = "intake"
urlpatterns: list = [
    # The professional's pages live under /practice/, the client's under /intake/.
]
