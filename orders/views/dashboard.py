from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orders.selectors import get_dashboard_figures


@login_required
@permission_required("orders.view_order", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The owner's first page: today's and this month's sales per channel, the latest orders.

    Every role may see it (each of Owner, Staff and Warehouse can view orders); a signed-in
    account without a role gets 403 rather than a page of figures it has no business reading.
    """
    return render(request, "orders/dashboard.html", {"figures": get_dashboard_figures()})
