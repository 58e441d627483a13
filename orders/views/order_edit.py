"""Editing a placed order: quantities, new lines, delivery — one POST, one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from billing.exceptions import BillingError
from billing.services import edit_order_and_correct_invoice
from inventory.exceptions import InventoryError
from inventory.selectors import find_variant_by_code
from orders.exceptions import OrderError
from orders.forms import EditAddLineFormSet, EditDeliveryForm, EditLineFormSet
from orders.models import Order
from orders.services import LineInput, OrderChanges
from orders.services.editing import EDITABLE_STATUSES, shipped_quantities


@login_required
@permission_required("orders.change_order", raise_exception=True)
def order_edit_view(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("channel", "customer", "shipping_method"), number=number)
    if order.status not in EDITABLE_STATUSES:
        messages.error(
            request,
            _("Order %(number)s is %(status)s and can no longer be edited.")
            % {"number": order.number, "status": order.get_status_display()},
        )
        return redirect("orders:order-detail", number=order.number)
    lines = list(order.lines.all())
    shipped = shipped_quantities(order=order)
    initial_lines = [{"line_id": line.pk, "quantity": line.quantity} for line in lines]
    address = order.shipping_address or {}
    delivery_initial = {
        **{name: address.get(name, "") for name in EditDeliveryForm.ADDRESS_FIELDS},
        "shipping_method": order.shipping_method_id,
        "shipping_amount": order.shipping_amount,
    }
    if request.method == "POST":
        line_formset = EditLineFormSet(request.POST, prefix="lines", initial=initial_lines)
        add_formset = EditAddLineFormSet(request.POST, prefix="add")
        delivery_form = EditDeliveryForm(request.POST, initial=delivery_initial)
        if line_formset.is_valid() and add_formset.is_valid() and delivery_form.is_valid():
            changes = OrderChanges(
                quantities={
                    f.cleaned_data["line_id"]: f.cleaned_data["quantity"] for f in line_formset if f.cleaned_data
                },
                shipping_method=delivery_form.cleaned_data["shipping_method"],
                shipping_amount=delivery_form.cleaned_data["shipping_amount"],
                shipping_address=delivery_form.address() if not order.is_pickup else None,
            )
            added, unknown = [], []
            for form in add_formset:
                code = (form.cleaned_data or {}).get("sku")
                if not code:
                    continue
                variant = find_variant_by_code(code=code)
                if variant is None:
                    unknown.append(code)
                else:
                    added.append(LineInput(variant=variant, quantity=form.cleaned_data["quantity"]))
            changes.add = added
            if unknown:
                messages.error(request, _("No product with the code: %(codes)s.") % {"codes": ", ".join(unknown)})
            else:
                try:
                    result = edit_order_and_correct_invoice(order=order, changes=changes, by=request.user)
                except (OrderError, InventoryError, BillingError) as exc:
                    messages.error(request, exc.message)
                else:
                    if not result.changed:
                        messages.info(request, _("Nothing changed."))
                    else:
                        text = _("Order %(number)s updated: total %(old)s → %(new)s.") % {
                            "number": order.number,
                            "old": result.old_total,
                            "new": result.order.total_amount,
                        }
                        if result.balance_due:
                            text += " " + _("Balance due: %(amount)s.") % {"amount": result.balance_due}
                        elif result.refund_owed:
                            text += " " + _("Refund owed: %(amount)s.") % {"amount": result.refund_owed}
                        if result.invoice_needs_correction:
                            text += " " + _("The invoice was corrected by a credit note and a new invoice.")
                        messages.success(request, text)
                    return redirect("orders:order-detail", number=order.number)
    else:
        line_formset = EditLineFormSet(prefix="lines", initial=initial_lines)
        add_formset = EditAddLineFormSet(prefix="add")
        delivery_form = EditDeliveryForm(initial=delivery_initial)
    rows = [
        {"line": line, "form": form, "shipped": shipped.get(line.pk, 0)}
        for line, form in zip(lines, line_formset.forms, strict=False)
    ]
    return render(
        request,
        "orders/order_edit.html",
        {
            "order": order,
            "rows": rows,
            "line_formset": line_formset,
            "add_formset": add_formset,
            "delivery_form": delivery_form,
        },
        status=400 if request.method == "POST" else 200,
    )
