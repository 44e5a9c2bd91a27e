from django.urls import path

from tengja.measures import views

app_name = "measures"
urlpatterns = [
    path("measures/", views.mine, name="mine"),
    path("measures/share/", views.share, name="share"),
    path("measures/answers/<str:code>/", views.response_detail, name="response"),
    path("measures/<str:code>/", views.answer, name="answer"),
    path("practice/clients/<str:code>/measures/", views.send, name="send"),
    path("practice/measures/<str:code>/stop/", views.stop, name="stop"),
    path("practice/measures/answers/<str:code>/seen/", views.seen, name="seen"),
]
