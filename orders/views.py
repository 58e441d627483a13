from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.selectors import get_dashboard_figures


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/dashboard.html", {"figures": get_dashboard_figures()})
