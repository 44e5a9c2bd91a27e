from django.urls import path, re_path

from tengja.video.consumers import NotFoundConsumer, SessionConsumer

websocket_urlpatterns = [
    path("ws/sessions/<str:code>/", SessionConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),  # last: every other path
]
