from django.urls import path

from tengja.notes import views

app_name = "notes"
urlpatterns = [
    path("practice/sessions/<str:code>/notes/new/", views.new_for_session, name="new_for_session"),
    path("practice/clients/<str:code>/notes/new/", views.new_for_client, name="new_for_client"),
    path("practice/notes/<str:code>/", views.note, name="note"),
    path("practice/notes/<str:code>/save/", views.note_save, name="note_save"),
    path("practice/notes/<str:code>/sign/", views.note_sign, name="note_sign"),
    path("practice/notes/<str:code>/addenda/", views.addendum_add, name="addendum_add"),
    path("practice/notes/<str:code>/delete/", views.note_delete, name="note_delete"),
    path("practice/note-templates/", views.template_list, name="template_list"),
    path("practice/note-templates/new/", views.template_new, name="template_new"),
    path("practice/note-templates/<str:code>/", views.template_edit, name="template_edit"),
    path(
        "practice/note-templates/<str:code>/delete/",
        views.template_delete,
        name="template_delete",
    ),
]
