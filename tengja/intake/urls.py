from django.urls import path

from tengja.intake import builder_views, details_views, response_views

app_name = "intake"
urlpatterns = [
    # The professional's pages live under /practice/, the client's under /intake/.
    path("practice/client-details/", details_views.required, name="details_required"),
    path("intake/details/<str:code>/", details_views.give, name="details"),
    # The professional's forms (builder_views): each change its own address.
    path("practice/forms/", builder_views.form_list, name="builder_list"),
    path("practice/forms/new/", builder_views.form_new, name="builder_new"),
    path("practice/forms/<str:code>/", builder_views.form_edit, name="builder_edit"),
    path("practice/forms/<str:code>/preview/", builder_views.form_preview, name="builder_preview"),
    path("practice/forms/<str:code>/delete/", builder_views.form_delete, name="builder_delete"),
    path("practice/forms/<str:code>/questions/", builder_views.field_add, name="builder_field_add"),
    path(
        "practice/forms/<str:code>/questions/<str:key>/",
        builder_views.field_save,
        name="builder_field_save",
    ),
    path(
        "practice/forms/<str:code>/questions/<str:key>/up/",
        builder_views.field_move,
        {"step": -1},
        name="builder_field_up",
    ),
    path(
        "practice/forms/<str:code>/questions/<str:key>/down/",
        builder_views.field_move,
        {"step": 1},
        name="builder_field_down",
    ),
    path(
        "practice/forms/<str:code>/questions/<str:key>/remove/",
        builder_views.field_remove,
        name="builder_field_remove",
    ),
    path("intake/forms/<str:code>/", response_views.form_fill, name="form_fill"),
    path("intake/forms/<str:code>/save/", response_views.form_save, name="form_save"),
    path("intake/responses/<str:code>/", response_views.response_detail, name="response_detail"),
    path(
        "intake/responses/<str:code>/signed.pdf",
        response_views.response_pdf,
        name="response_pdf",
    ),
]
