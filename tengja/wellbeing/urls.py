from django.urls import path

from tengja.wellbeing import views

app_name = "wellbeing"
urlpatterns = [
    path("wellbeing/share/", views.share, name="share"),
    path("wellbeing/sessions/<str:code>/", views.rate, name="rate"),
    path("wellbeing/<str:code>/", views.index, name="index"),
]
