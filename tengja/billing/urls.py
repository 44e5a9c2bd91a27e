from django.urls import path

from tengja.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.payments, name="payments"),
    path("invoices/<str:code>/", views.invoice, name="invoice"),
    path("invoices/<str:code>/pdf/", views.invoice_download, name="invoice_pdf"),
    path("invoices/<str:code>/pay/", views.pay, name="pay"),
    path("invoices/<str:code>/mark-paid/", views.invoice_mark_paid, name="mark_paid"),
    path(
        "invoices/<str:code>/mark-paid/undo/",
        views.invoice_mark_paid_undo,
        name="mark_paid_undo",
    ),
    path("invoices/<str:code>/returned/", views.refund_returned, name="refund_returned"),
    path("sessions/<str:code>/pay/", views.session_pay, name="session_pay"),
    path("sessions/<str:code>/done/", views.session_done, name="session_done"),
    path("sessions/<str:code>/charge/", views.session_charge, name="session_charge"),
    path("cards/new/", views.card_add, name="card_add"),
    path("cards/<str:code>/", views.card_update, name="card_update"),
    path("cards/<str:code>/remove/", views.card_remove, name="card_remove"),
    path("cards/<str:code>/default/", views.card_default, name="card_default"),
    path("authenticate/<str:intent_id>/", views.local_authenticate, name="local_authenticate"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
