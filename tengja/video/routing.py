from django.urls import path, re_path

from tengja.messaging.consumers import LiveConsumer
from tengja.video.consumers import NotFoundConsumer, SessionConsumer

websocket_urlpatterns = [
    path("ws/sessions/<str:code>/", SessionConsumer.as_asgi()),
    path("ws/live/", LiveConsumer.as_asgi()),  # every signed-in page: the unread count
    re_path(r"", NotFoundConsumer.as_asgi()),  # last: every other path
]
