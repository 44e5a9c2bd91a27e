from django.urls import URLPattern

app_name = "messaging"

# The message pages (/messages/, "messaging:list", and each conversation) are
# built on their own branch (issue 30, "msg-pages"); this file exists so the
# header's link and the unread e-mail can name them in the meantime.
urlpatterns: list[URLPattern] = []
