from django.urls import path

from tengja.hubs import views

app_name = "hubs"

urlpatterns = [
    path("", views.find, name="find"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("credit-requests/<str:booking_code>/", views.credit_request, name="credit_request"),
    # A professional's answer to a hub that asked to offer them.
    path("<str:code>/offer/accept/", views.offer_answer, {"accept": True}, name="offer_accept"),
    path("<str:code>/offer/decline/", views.offer_answer, {"accept": False}, name="offer_decline"),
    path("<str:code>/", views.hub, name="hub"),
    path("<str:code>/join/", views.join, name="join"),
    path("<str:code>/professionals/", views.browse, name="browse"),
    path("<str:code>/professionals/<str:professional_code>/", views.offer, name="offer"),
    path("<str:code>/professionals/<str:professional_code>/book/", views.review, name="review"),
    # For the company's HR team: the page, and one address per change.
    path("<str:code>/admin/", views.hub_admin, name="admin"),
    path("<str:code>/admin/settings/", views.hub_settings, name="admin_settings"),
    path("<str:code>/admin/domains/", views.hub_domain_add, name="admin_domain_add"),
    path(
        "<str:code>/admin/domains/<str:domain>/remove/",
        views.hub_domain_remove,
        name="admin_domain_remove",
    ),
    path("<str:code>/admin/addresses/", views.hub_address_invite, name="admin_address_invite"),
    path("<str:code>/admin/members/remove/", views.hub_member_remove, name="admin_member_remove"),
    path("<str:code>/admin/offers/", views.hub_offer_set, name="admin_offer_set"),
    path(
        "<str:code>/admin/offers/<str:professional_code>/remove/",
        views.hub_offer_remove,
        name="admin_offer_remove",
    ),
    path(
        "<str:code>/admin/requests/<str:request_code>/approve/",
        views.hub_credit_request_decide,
        {"approve": True},
        name="admin_request_approve",
    ),
    path(
        "<str:code>/admin/requests/<str:request_code>/decline/",
        views.hub_credit_request_decide,
        {"approve": False},
        name="admin_request_decline",
    ),
]
