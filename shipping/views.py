from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from shipping.selectors import get_order_for_tracking, get_tracking_steps
from shipping.throttle import is_rate_limited


@never_cache
def track_view(request: HttpRequest, code: str) -> HttpResponse:
    """The customer's public view of their order: progress and parcels, nothing personal."""
    if is_rate_limited(request, scope="track", limit=settings.TRACKING_RATE_LIMIT, window_seconds=60):
        response = render(request, "shipping/track_limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    order = get_order_for_tracking(code=code)
    if order is None:
        raise Http404(_("No order with this tracking code."))
    context = {"order": order, "steps": get_tracking_steps(order=order), "shipments": list(order.shipments.all())}
    response = render(request, "shipping/track.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
