from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from billing.selectors import count_failed_invoice_emails
from orders.selectors import (
    CHART_DAYS,
    COMPARE_CHOICES,
    COMPARE_PREVIOUS,
    SERIES_DAYS,
    figure_windows,
    get_attention_items,
    get_dashboard_figures,
    get_pipeline,
    list_daily_sales,
    list_feed,
    list_top_products,
    load_sales_days,
    period_windows,
    project_month_end,
)
from shipping.selectors import count_shipment_exceptions


def _chart_days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", CHART_DAYS[0]))
    except ValueError:
        return CHART_DAYS[0]
    return days if days in CHART_DAYS else CHART_DAYS[0]


@login_required
@permission_required("orders.view_order", raise_exception=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The owner's first page: sales against their comparison, the month-end projection and
    pipeline, the daily chart, top products, what needs attention and the live feed.

    Every role may see it (each of Owner, Staff and Warehouse can view orders); a signed-in
    account without a role gets 403 rather than a page of figures it has no business reading.
    Only closed days' sums are cached (``orders.selectors.dashboard_closed``, one entry per
    day, summed again when one of its orders changes; ``orders.tasks.warm_dashboard`` keeps
    them warm); today is read live, so a new order shows in every
    figure on the next load (or the next feed poll). The figures, the daily series and the
    projection share one load of the sums per day.
    """
    now = timezone.now()
    compare = request.GET.get("compare", COMPARE_PREVIOUS)
    if compare not in COMPARE_CHOICES:
        compare = COMPARE_PREVIOUS
    days = _chart_days(request)
    windows = figure_windows(period_windows(now=now, compare=compare))
    sales = load_sales_days(now=now, windows=windows, series_days=SERIES_DAYS)
    series = list_daily_sales(days=SERIES_DAYS, now=now, sales=sales)
    context = {
        "figures": get_dashboard_figures(now=now, compare=compare, sales=sales),
        "compare_choices": COMPARE_CHOICES,
        "chart_days": days,
        "chart_day_choices": CHART_DAYS,
        "daily": series[-days:],
        "projection": project_month_end(daily=series, now=now),
        "pipeline": get_pipeline(),
        "top_products": list_top_products(now=now, sales=sales),
        "attention": get_attention_items(
            now=now,
            failed_invoice_emails=count_failed_invoice_emails(),
            shipment_exceptions=count_shipment_exceptions(),
        ),
        "feed": list_feed(),
    }
    return render(request, "orders/dashboard.html", context)


@login_required
@permission_required("orders.view_order", raise_exception=True)
def dashboard_feed_view(request: HttpRequest) -> HttpResponse:
    """The activity feed alone, for htmx to poll every 15 seconds (one query)."""
    return render(
        request, "orders/partials/_dashboard_feed_items.html", {"feed": list_feed(), "today": timezone.localdate()}
    )
