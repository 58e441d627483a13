"""The Owner's discount codes: list (filters, uses and discount given), create, edit, deactivate.

Staff may look at the list (to answer "does this code still work?"); only the Owner changes codes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from catalog.exceptions import DiscountCodeRefused
from catalog.forms import DiscountCodeForm
from catalog.models import DiscountCode
from catalog.selectors import list_discount_codes
from catalog.services import save_discount_code, set_discount_code_active

PAGE_SIZE = 50
# (label, badge class) per state; the word is always shown, the colour only helps.
STATES = {
    "usable": (_lazy("Usable"), "status-success"),
    "scheduled": (_lazy("Not yet valid"), "status-info"),
    "expired": (_lazy("Expired"), "status-expired"),
    "used_up": (_lazy("Used up"), "status-attention"),
    "inactive": (_lazy("Deactivated"), "status-inactive"),
}


def _state(code: DiscountCode, now) -> str:
    if not code.is_active:
        return "inactive"
    if code.valid_from and now < code.valid_from:
        return "scheduled"
    if code.valid_until and now >= code.valid_until:
        return "expired"
    if code.usage_limit is not None and code.times_used >= code.usage_limit:
        return "used_up"
    return "usable"


FILTER_NAMES = ("q", "state", "kind", "channel", "incentive")


def _without(request: HttpRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    params.pop("page", None)
    return f"?{params.urlencode()}"


@login_required
@permission_required("catalog.view_discountcode", raise_exception=True)
def discount_list_view(request: HttpRequest) -> HttpResponse:
    filterset, codes = list_discount_codes(filters=request.GET)
    if not request.GET.get("o"):
        codes = codes.order_by("-created_at", "-id")
    page = Paginator(codes, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for code in page.object_list:
        code.state_label, code.state_class = STATES[_state(code, now)]
    params = request.GET.copy()
    params.pop("page", None)
    cleaned = filterset.form.cleaned_data if filterset.is_bound and filterset.form.is_valid() else {}
    applied = []
    for name in FILTER_NAMES:
        value = cleaned.get(name)
        if not value:
            continue
        field = filterset.form.fields[name]
        shown = "" if value is True else dict(field.choices).get(value, value) if hasattr(field, "choices") else value
        applied.append({"label": field.label, "value": str(shown), "url": _without(request, name)})
    return render(
        request,
        "catalog/discount_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": params.urlencode(),
            "sort_query": _without(request, "o")[1:],
            "applied": applied,
        },
    )


def _form_page(request: HttpRequest, form: DiscountCodeForm, *, discount: DiscountCode | None, status: int = 200):
    return render(request, "catalog/discount_form.html", {"form": form, "discount": discount}, status=status)


def _save(request: HttpRequest, *, discount: DiscountCode | None) -> HttpResponse:
    form = DiscountCodeForm(request.POST, instance=discount or DiscountCode())
    if not form.is_valid():
        return _form_page(request, form, discount=discount, status=400)
    values = {name: form.cleaned_data[name] for name in form.cleaned_data if name != "channels"}
    try:
        saved = save_discount_code(
            discount=discount, values=values, channels=list(form.cleaned_data["channels"]), by=request.user
        )
    except DiscountCodeRefused as exc:
        form.add_error(exc.reason if exc.reason in form.fields else None, exc.message)
        return _form_page(request, form, discount=discount, status=400)
    messages.success(request, _("Discount code %(code)s saved.") % {"code": saved.code})
    return redirect("catalog:discount-list")


@login_required
@permission_required("catalog.add_discountcode", raise_exception=True)
def discount_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, discount=None)
    return _form_page(request, DiscountCodeForm(initial={"kind": DiscountCode.Kind.PERCENT}), discount=None)


@login_required
@permission_required("catalog.change_discountcode", raise_exception=True)
def discount_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    discount = get_object_or_404(DiscountCode, pk=pk)
    if request.method == "POST":
        return _save(request, discount=discount)
    return _form_page(request, DiscountCodeForm(instance=discount), discount=discount)


@login_required
@permission_required("catalog.change_discountcode", raise_exception=True)
@require_POST
def discount_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    discount = get_object_or_404(DiscountCode, pk=pk)
    active = request.POST.get("active") == "1"
    discount = set_discount_code_active(discount=discount, active=active, by=request.user)
    if active:
        messages.success(request, _("Discount code %(code)s can be used again.") % {"code": discount.code})
    else:
        messages.success(
            request, _("Discount code %(code)s deactivated: it is refused from now on.") % {"code": discount.code}
        )
    return redirect("catalog:discount-list")
