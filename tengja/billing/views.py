from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def payments(request: HttpRequest) -> HttpResponse:
    """The Payments tab. Invoices and cards arrive with the billing work; until then
    the page says plainly that there is nothing to pay."""
    return render(request, "billing/payments.html")
