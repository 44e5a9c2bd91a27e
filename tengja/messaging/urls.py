from django.urls import path

from tengja.messaging import views

app_name = "messaging"
urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/start/", views.start, name="start"),
    path("messages/files/<str:code>/", views.file, name="file"),
    path("messages/remove/<str:code>/", views.remove, name="remove"),
    path("messages/<str:code>/", views.conversation, name="conversation"),
    path("messages/<str:code>/close/", views.close, name="close"),
    path("messages/<str:code>/reopen/", views.reopen, name="reopen"),
]
