"""Public cart links from the reminder e-mails (no login: the cart's unguessable token is the key),
and the owner's cart report."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalog.forms import DATE_BOUNDS
from orders.exceptions import CartError
from orders.forms import CartReportForm
from orders.selectors.carts import get_cart_by_token, get_cart_report
from orders.services import CART_SESSION_KEY, restore_cart, unsubscribe_cart

REPORT_DEFAULT_DAYS = 30


def _shop_cart_url() -> str:
    try:
        return reverse("shop:cart")
    except NoReverseMatch:
        return "/shop/cart/"


@require_http_methods(["GET", "HEAD"])
def cart_restore_view(request: HttpRequest, token: str) -> HttpResponse:
    """Open the reminded cart in this browser (any device), then show the shop's cart page."""
    if not request.session.session_key:
        request.session.save()
    try:
        cart = restore_cart(token=token, session_key=request.session.session_key)
    except CartError as exc:
        status = 410 if get_cart_by_token(token=token) is not None else 404
        return render(request, "orders/carts/cart_link.html", {"title": _("Cart"), "text": exc.message}, status=status)
    request.session[CART_SESSION_KEY] = str(cart.token)
    messages.success(request, _("Welcome back: your cart is as you left it."))
    return redirect(_shop_cart_url())


@csrf_exempt  # RFC 8058 one-click unsubscribe posts from the mail client; the token is the key
@require_http_methods(["GET", "HEAD", "POST"])
def cart_unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links), POST unsubscribes: no more reminders for this cart."""
    context = {"title": _("Cart reminders"), "token": token}
    if request.method == "POST":
        try:
            unsubscribe_cart(token=token)
        except CartError as exc:
            return render(request, "orders/carts/cart_link.html", {**context, "text": exc.message}, status=404)
        context["text"] = _("Done: you will get no more reminders about this cart.")
        return render(request, "orders/carts/cart_link.html", context)
    if get_cart_by_token(token=token) is None:
        return render(
            request, "orders/carts/cart_link.html", {**context, "text": _("This link is not valid.")}, status=404
        )
    context["ask"] = True
    return render(request, "orders/carts/cart_link.html", context)


@login_required
@permission_required("orders.view_cart", raise_exception=True)
def cart_report_view(request: HttpRequest) -> HttpResponse:
    """Carts started, left behind, reminded and recovered over a date range, and where they stopped."""
    today = timezone.localdate()
    data = request.GET if ("date_from" in request.GET or "date_to" in request.GET) else None
    form = CartReportForm(data or {"date_from": today - timedelta(days=REPORT_DEFAULT_DAYS - 1), "date_to": today})
    for name in ("date_from", "date_to"):  # a day the report can count from and to (9999-12-31 cannot)
        form.fields[name].validators += DATE_BOUNDS
    report = None
    if form.is_valid():
        report = get_cart_report(date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
    return render(request, "orders/cart_report.html", {"form": form, "report": report})
