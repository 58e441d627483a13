"""The JSON API's endpoints: each a thin layer over the services the back-office calls.

A view checks the token's role (the same Django permissions as the back-office pages),
validates the shape of the request, turns codes into rows, calls one service and answers
with the contract's serializers. A refusal by a service becomes a 400 (bad input, with the
field) or a 409 (the state of things does not allow it) in the one error shape.
"""

import dataclasses
import logging

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.exceptions import BillingError
from billing.models import Invoice, Payment
from billing.selectors import get_invoice_xml
from billing.services import place_order_and_invoice_on_terms, record_payment, render_invoice_pdf
from catalog.models import Channel, Price, Variant
from catalog.money import ZERO, quantize
from inventory.exceptions import InsufficientStock, InventoryError
from inventory.models import Location, Reservation, StockLevel
from inventory.selectors import get_availability
from orders.api import serializers as s
from orders.api.errors import APIError, field_error
from orders.api.idempotency import HEADER, idempotent
from orders.exceptions import DuplicateOrder, OrderError
from orders.models import Customer, Order, OrderLine
from orders.selectors.order_entry import get_variants_by_sku
from orders.selectors.order_list import get_order_filter_choices, list_orders
from orders.services import InvalidCustomer, LineInput, OrderEntry, cancel_order, preview_order
from orders.services.api_tokens import record_api_placement
from shipping.exceptions import ShippingError
from shipping.models import (
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippingMethod,
    ShippingMethodKind,
    TrackingEventSource,
)
from shipping.services import (
    create_shipment,
    mark_packed,
    mark_shipped,
    quantities_to_ship,
    quote_shipping,
    record_tracking_event,
)

logger = logging.getLogger(__name__)

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Bad input: see error.fields"),
    401: OpenApiResponse(s.ErrorSerializer, description="No token or a bad one"),
    403: OpenApiResponse(s.ErrorSerializer, description="The token's role may not do this"),
    404: OpenApiResponse(s.ErrorSerializer, description="Not found"),
}
CONFLICT = {409: OpenApiResponse(s.ErrorSerializer, description="The state of things does not allow it")}
IDEMPOTENCY = {
    409: OpenApiResponse(s.ErrorSerializer, description="Conflict (stock, duplicate reference, key still in progress)"),
    422: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key reused with another request"),
}
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): a repeat returns the first answer and creates nothing.",
)
LOCATION_HEADER = {"Location": {"schema": {"type": "string"}, "description": "URL of the created resource"}}


class RolePermission(BasePermission):
    """The Django permissions each method needs (``view.required_permissions``), as the pages check."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        return user.has_perms(view.required_permissions.get(method, ("__nobody__",)))


class APIBase(APIView):
    permission_classes = [RolePermission]
    required_permissions: dict[str, tuple[str, ...]] = {}


class OrderCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


# --- reads ------------------------------------------------------------------------------------


def _money_sum(kind: str):
    rows = (
        Payment.objects.filter(order_id=OuterRef("pk"), status="verified", kind=kind)
        .order_by()
        .values("order_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO)


def _with_money(queryset):
    return queryset.annotate(api_paid=_money_sum("payment"), api_refunded=_money_sum("refund")).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


def _order_for_detail(number: str) -> Order:
    queryset = _with_money(
        Order.objects.filter(number__isnull=False).select_related(
            "channel", "customer", "shipping_method", "pickup_location"
        )
    ).prefetch_related(
        "payments",
        "invoices",
        Prefetch("shipments", queryset=Shipment.objects.select_related("order", "location").order_by("id")),
        "shipments__lines__order_line",
        "shipments__events",
    )
    order = queryset.filter(number=number).first()
    if order is None:
        raise APIError(status_code=404, code="not_found", message=_("No order with this number."))
    return order


def _detail_response(request, number: str, *, status_code: int = 200, headers=None) -> Response:
    order = _order_for_detail(number)
    data = s.OrderDetailSerializer(order, context={"request": request}).data
    return Response(data, status=status_code, headers=headers)


def _order_url(request, number: str) -> str:
    return request.build_absolute_uri(reverse("api:order-detail", kwargs={"number": number}))


def _codes_to_ids(params: QueryDict, name: str, model) -> None:
    """The list filters take ids (the back-office's URLs); the API takes codes."""
    codes = [c for value in params.getlist(name) for c in value.split(",") if c.strip()]
    if not codes:
        params.pop(name, None)
        return
    found = dict(model.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise field_error(name, _("Unknown code: %(codes)s.") % {"codes": ", ".join(unknown)})
    params.setlist(name, [str(found[c]) for c in codes])


ORDER_FILTERS = [
    OpenApiParameter("q", str, description="Number, name, e-mail, phone, SKU, tracking code, external reference"),
    OpenApiParameter("status", str, many=True, enum=["placed", "processing", "completed", "cancelled"]),
    OpenApiParameter(
        "payment_status",
        str,
        many=True,
        enum=["unpaid", "partially_paid", "paid", "partially_refunded", "refunded"],
    ),
    OpenApiParameter(
        "fulfilment_status", str, many=True, enum=["unfulfilled", "partially_fulfilled", "fulfilled", "delivered"]
    ),
    OpenApiParameter("channel", str, many=True, description="Channel codes"),
    OpenApiParameter("shipping_method", str, description="Shipping method code"),
    OpenApiParameter("pickup_location", str, description="Location code"),
    OpenApiParameter("placed_from", OpenApiTypes.DATE),
    OpenApiParameter("placed_to", OpenApiTypes.DATE),
    OpenApiParameter("total_min", OpenApiTypes.DECIMAL),
    OpenApiParameter("total_max", OpenApiTypes.DECIMAL),
    OpenApiParameter("backordered", bool),
    OpenApiParameter("needs_review", bool),
]


class OrderListCreateView(APIBase):
    required_permissions = {"GET": ("orders.view_order",), "POST": ("orders.add_order",)}

    @extend_schema(
        operation_id="orders_list",
        parameters=ORDER_FILTERS,
        responses={200: s.OrderPageSerializer, **ERRORS},
        description="Orders, newest first, with the back-office list's filters; cursor pagination.",
    )
    def get(self, request):
        params = request.query_params.copy()
        for name in ("cursor", "page_size", "o"):
            params.pop(name, None)
        _codes_to_ids(params, "channel", Channel)
        _codes_to_ids(params, "shipping_method", ShippingMethod)
        _codes_to_ids(params, "pickup_location", Location)
        for flag in ("backordered", "needs_review"):
            if flag in params:
                value = params[flag].lower()
                if value not in ("true", "false", "1", "0"):
                    raise field_error(flag, _("Use true or false."))
                params[flag] = "true" if value in ("true", "1") else ""
        filterset, queryset = list_orders(filters=params, choices=get_order_filter_choices())
        if filterset.is_bound and not filterset.is_valid():
            raise APIError(
                message=_("The filters have errors; see the fields."),
                fields={name: [str(e) for e in errors] for name, errors in filterset.errors.items()},
            )
        paginator = OrderCursorPagination()
        # Drafts are not orders yet (no number): the API never shows them.
        queryset = queryset.filter(number__isnull=False)
        page = paginator.paginate_queryset(_with_money(queryset), request, view=self)
        data = s.OrderSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="orders_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.OrderCreateSerializer,
        responses={
            201: s.OrderDetailSerializer,
            **ERRORS,
            **IDEMPOTENCY,
        },
        description=(
            "Place an order. Prices come from the channel's (or the customer's group's) price list; "
            "stock is reserved at once. 409 when the stock is short (`shortages`) or the channel already "
            "has an order with this external reference (`order`)."
        ),
    )
    @idempotent
    def post(self, request):
        serializer = s.OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = _order_entry(serializer.validated_data)
        with transaction.atomic():
            order = _place(entry, by=request.user)
            record_api_placement(
                order=order,
                by=request.user,
                idempotency_key=request.headers.get(HEADER, ""),
                external_reference=entry.external_reference,
            )
        location = _order_url(request, order.number)
        return _detail_response(request, order.number, status_code=201, headers={"Location": location})


def _order_entry(data: dict) -> OrderEntry:
    """Codes and SKUs to rows, the customer matched by e-mail; every unknown one is a field error."""
    fields: dict[str, list[str]] = {}
    channel = Channel.objects.select_related("price_list").filter(code=data["channel"]).first()
    if channel is None:
        fields["channel"] = [_("Unknown channel.")]
    method = pickup = None
    if data["shipping_method"]:
        method = ShippingMethod.objects.filter(code=data["shipping_method"]).first()
        if method is None:
            fields["shipping_method"] = [_("Unknown shipping method.")]
    if data["pickup_location"]:
        pickup = Location.objects.filter(code=data["pickup_location"], is_active=True).first()
        if pickup is None:
            fields["pickup_location"] = [_("Unknown pickup location.")]
    if method is not None:
        if method.kind == ShippingMethodKind.PICKUP and pickup is None and "pickup_location" not in fields:
            fields["pickup_location"] = [_("A pickup method needs a pickup location.")]
        if method.kind != ShippingMethodKind.PICKUP and not data["shipping_address"]:
            fields["shipping_address"] = [_("Delivery needs a shipping address.")]
        if method.kind != ShippingMethodKind.PICKUP and pickup is not None:
            fields["pickup_location"] = [_("A pickup location goes with a pickup method only.")]
    skus = [line["sku"] for line in data["lines"]]
    variants = get_variants_by_sku(skus=skus)
    for index, sku in enumerate(skus):
        if sku not in variants:
            fields[f"lines.{index}.sku"] = [_("Unknown SKU %(sku)s.") % {"sku": sku}]
    if data["discount_code"] and "discount_code" not in {f.name for f in dataclasses.fields(OrderEntry)}:
        fields["discount_code"] = [_("Discount codes are not accepted yet.")]
    if fields:
        raise APIError(message=_("The order has errors; see the fields."), fields=fields)
    person = data["customer"]
    email = person.get("email", "").strip().lower()
    customer = Customer.objects.select_related("group").filter(email__iexact=email).first() if email else None
    new_customer = None
    if customer is None:
        first, _sep, last = person["name"].strip().rpartition(" ")
        new_customer = {
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": person["phone"],
            "company_name": person["company"],
        }
    address = dict(data["shipping_address"]) if data["shipping_address"] else {}
    entry = OrderEntry(
        channel=channel,
        lines=[LineInput(variant=variants[line["sku"]], quantity=line["quantity"]) for line in data["lines"]],
        customer=customer,
        new_customer=new_customer,
        email=email,
        phone=person["phone"],
        customer_name=person["name"] or person["company"],
        shipping_address=address,
        shipping_method=method,
        pickup_location=pickup,
        notes=data["notes"],
        external_reference=data["external_reference"],
        payment_choice=data["payment_choice"],
    )
    if data["discount_code"]:
        entry.discount_code = data["discount_code"]
    if method is not None:
        entry.shipping_amount = _shipping_price(entry)
    return entry


def _shipping_price(entry: OrderEntry):
    """The shipping service's quote for these lines (the same quote the order-entry page shows)."""
    try:
        _priced, totals = preview_order(entry=entry)
    except OrderError as exc:
        raise _order_error(exc) from None
    goods = totals["subtotal_amount"] - totals["discount_amount"]
    weight = sum((line.variant.weight_grams or 0) * line.quantity for line in entry.lines)
    try:
        return quantize(
            quote_shipping(method=entry.shipping_method, channel=entry.channel, subtotal=goods, weight_grams=weight)
        )
    except ShippingError as exc:
        raise field_error("shipping_method", exc.message) from None


CUSTOMER_FIELDS = {"first_name": "name", "last_name": "name", "company_name": "company", "email": "email"}


def _order_error(exc: OrderError) -> APIError:
    if isinstance(exc, DuplicateOrder):
        return APIError(
            status_code=409,
            code="duplicate_order",
            message=exc.message,
            extra={"order": {"number": exc.existing_number}},
        )
    if isinstance(exc, InvalidCustomer):
        name = "customer." + CUSTOMER_FIELDS.get(exc.field or "", exc.field or "name")
        return APIError(code="invalid", message=exc.message, fields={name: [exc.message]})
    field = getattr(exc, "field", None)
    return APIError(code="invalid", message=exc.message, fields={field: [exc.message]} if field else {})


def _place(entry: OrderEntry, *, by) -> Order:
    for attempt in range(2):
        try:
            return place_order_and_invoice_on_terms(entry=entry, by=by)
        except InsufficientStock as exc:
            raise APIError(
                status_code=409,
                code="insufficient_stock",
                message=exc.message,
                extra={
                    "shortages": [
                        {"sku": x.sku, "requested": x.requested, "available": x.available} for x in exc.shortages
                    ]
                },
            ) from None
        except OrderError as exc:
            raise _order_error(exc) from None
        except InventoryError as exc:
            raise APIError(status_code=409, code="stock_refused", message=exc.message) from None
        except IntegrityError:
            # A twin request created the same new customer (e-mail) a moment earlier: use them.
            if attempt or entry.new_customer is None or not entry.email:
                raise
            entry.customer = Customer.objects.select_related("group").filter(email__iexact=entry.email).first()
            entry.new_customer = None
            if entry.customer is None:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class OrderDetailView(APIBase):
    required_permissions = {"GET": ("orders.view_order",)}

    @extend_schema(operation_id="orders_retrieve", responses={200: s.OrderDetailSerializer, **ERRORS})
    def get(self, request, number: str):
        return _detail_response(request, number)


def _order(number: str) -> Order:
    order = Order.objects.filter(number=number).select_related("channel").first()
    if order is None:
        raise APIError(status_code=404, code="not_found", message=_("No order with this number."))
    return order


class OrderCancelView(APIBase):
    required_permissions = {"POST": ("orders.change_order",)}

    @extend_schema(
        operation_id="orders_cancel",
        request=s.CancelSerializer,
        responses={200: s.OrderDetailSerializer, **ERRORS, **CONFLICT},
        description="Cancel an order that has not been shipped and holds no payment; its stock is released.",
    )
    def post(self, request, number: str):
        order = _order(number)
        serializer = s.CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cancel_order(order=order, by=request.user, reason=serializer.validated_data["reason"])
        except OrderError as exc:
            raise APIError(status_code=409, code="refused", message=exc.message) from None
        return _detail_response(request, number)


class OrderPaymentsView(APIBase):
    required_permissions = {"POST": ("billing.add_payment",)}

    @extend_schema(
        operation_id="orders_payments_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.PaymentCreateSerializer,
        responses={201: s.PaymentSerializer, **ERRORS, **IDEMPOTENCY},
        description="Record money received; refused (409) above the open balance or on a cancelled order.",
    )
    @idempotent
    def post(self, request, number: str):
        order = _order(number)
        serializer = s.PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            payment = record_payment(
                order=order,
                method=s.PAYMENT_METHODS[data["method"]],
                amount=data["amount"],
                currency=data.get("currency") or order.currency,
                reference=data["reference"],
                by=request.user,
            )
        except BillingError as exc:
            raise APIError(status_code=409, code="payment_refused", message=exc.message) from None
        body = s.PaymentSerializer(payment, context={"request": request}).data
        return Response(body, status=201, headers={"Location": _order_url(request, number)})


def _shipment_response(request, shipment_id: int, *, status_code: int = 200, headers=None) -> Response:
    shipment = (
        Shipment.objects.select_related("order", "location")
        .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")), "events")
        .get(pk=shipment_id)
    )
    return Response(s.ShipmentSerializer(shipment).data, status=status_code, headers=headers)


def _shipment_url(request, shipment_id: int) -> str:
    return request.build_absolute_uri(reverse("api:shipment-detail", kwargs={"pk": shipment_id}))


def _shipping_error(exc: ShippingError) -> APIError:
    if exc.field:
        return APIError(code="invalid", message=exc.message, fields={exc.field: [exc.message]})
    return APIError(status_code=409, code="refused", message=exc.message)


class OrderShipmentsView(APIBase):
    required_permissions = {"POST": ("shipping.add_shipment",)}

    @extend_schema(
        operation_id="orders_shipments_create",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.ShipmentCreateSerializer,
        responses={201: s.ShipmentSerializer, **ERRORS, **IDEMPOTENCY},
        description="Put all or part of the order in a parcel (from where its stock is reserved by default).",
    )
    @idempotent
    def post(self, request, number: str):
        order = _order(number)
        serializer = s.ShipmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order_lines = {line.sku: line for line in order.lines.all()}
        if data.get("lines"):
            unknown = {
                f"lines.{i}.sku": [_("Not on this order.")]
                for i, line in enumerate(data["lines"])
                if line["sku"] not in order_lines
            }
            if unknown:
                raise APIError(message=_("The shipment has errors; see the fields."), fields=unknown)
            lines = [(order_lines[line["sku"]], line["quantity"]) for line in data["lines"]]
        else:
            left = quantities_to_ship(order=order)
            lines = [(line, left[line.pk]) for line in order_lines.values() if left.get(line.pk, 0) > 0]
        if data["location"]:
            location = Location.objects.filter(code=data["location"]).first()
            if location is None:
                raise field_error("location", _("Unknown location."))
        else:
            location = _reserved_at(order)
            if location is None:
                raise field_error("location", _("Nothing is reserved for this order; name the location."))
        try:
            shipment = create_shipment(order=order, location=location, lines=lines, by=request.user)
        except ShippingError as exc:
            raise _shipping_error(exc) from None
        return _shipment_response(
            request, shipment.pk, status_code=201, headers={"Location": _shipment_url(request, shipment.pk)}
        )


def _reserved_at(order: Order) -> Location | None:
    """Where most of the order's units are reserved, else its pickup location."""
    row = (
        Reservation.objects.filter(order_line__order=order)
        .values("stock_level__location_id")
        .annotate(units=Sum("quantity"))
        .order_by("-units")
        .first()
    )
    if row:
        return Location.objects.filter(pk=row["stock_level__location_id"]).first()
    return order.pickup_location


class ShipmentDetailView(APIBase):
    required_permissions = {"GET": ("shipping.view_shipment",)}

    @extend_schema(operation_id="shipments_retrieve", responses={200: s.ShipmentSerializer, **ERRORS})
    def get(self, request, pk: int):
        if not Shipment.objects.filter(pk=pk).exists():
            raise APIError(status_code=404, code="not_found", message=_("No such shipment."))
        return _shipment_response(request, pk)


class ShipmentEventsView(APIBase):
    required_permissions = {"POST": ("shipping.change_shipment",)}

    @extend_schema(
        operation_id="shipments_events_create",
        request=s.ShipmentEventCreateSerializer,
        responses={
            201: OpenApiResponse(s.ShipmentSerializer, description="Recorded"),
            200: OpenApiResponse(s.ShipmentSerializer, description="Changed nothing (a duplicate or a late event)"),
            **ERRORS,
            **CONFLICT,
        },
        description=(
            "A tracking update. `packed` and `shipped` move a parcel that has not left yet (shipping consumes "
            "the stock); carrier statuses after that are appended, and a late one changes nothing."
        ),
    )
    def post(self, request, pk: int):
        shipment = Shipment.objects.select_related("order").filter(pk=pk).first()
        if shipment is None:
            raise APIError(status_code=404, code="not_found", message=_("No such shipment."))
        serializer = s.ShipmentEventCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = True
        try:
            if data["status"] == ShipmentStatus.PACKED:
                mark_packed(shipment=shipment, by=request.user)
            elif data["status"] == ShipmentStatus.SHIPPED and shipment.status in (
                ShipmentStatus.PENDING,
                ShipmentStatus.PACKED,
            ):
                mark_shipped(
                    shipment=shipment,
                    by=request.user,
                    carrier=data["carrier"],
                    tracking_number=data["tracking_number"],
                )
            else:
                event = record_tracking_event(
                    shipment=shipment,
                    status=data["status"],
                    occurred_at=data["occurred_at"] or timezone.now(),
                    source=TrackingEventSource.WEBHOOK,
                    external_id=data["external_id"],
                    place=data["place"],
                    description=data["description"],
                    by=request.user,
                )
                changed = event is not None
        except ShippingError as exc:
            raise _shipping_error(exc) from None
        except (InventoryError, OrderError) as exc:
            raise APIError(status_code=409, code="refused", message=exc.message) from None
        return _shipment_response(request, pk, status_code=201 if changed else 200)


# --- stock and catalogue ----------------------------------------------------------------------


def _channel_param(request) -> Channel:
    code = request.query_params.get("channel", "").strip()
    if not code:
        raise field_error("channel", _("Name the channel (its code)."), code="required")
    channel = Channel.objects.select_related("price_list").filter(code=code).first()
    if channel is None:
        raise field_error("channel", _("Unknown channel."))
    return channel


class StockView(APIBase):
    required_permissions = {"GET": ("inventory.view_stocklevel",)}

    @extend_schema(
        operation_id="stock_retrieve",
        parameters=[
            OpenApiParameter("sku", str, required=True, many=True, description="One or more SKUs (or comma-separated)"),
            OpenApiParameter("channel", str, required=True, description="Channel code"),
        ],
        responses={200: s.StockSerializer, **ERRORS},
        description="What is on hand, reserved and available per location serving the channel, and in total.",
    )
    def get(self, request):
        channel = _channel_param(request)
        skus = list(
            dict.fromkeys(
                c.strip() for value in request.query_params.getlist("sku") for c in value.split(",") if c.strip()
            )
        )
        if not skus:
            raise field_error("sku", _("Name at least one SKU."), code="required")
        if len(skus) > 200:
            raise field_error("sku", _("At most 200 SKUs per request."))
        known = set(Variant.objects.filter(sku__in=skus).values_list("sku", flat=True))
        unknown = [sku for sku in skus if sku not in known]
        if unknown:
            raise field_error("sku", _("Unknown SKU: %(skus)s.") % {"skus": ", ".join(unknown)})
        rows: dict[str, list[dict]] = {sku: [] for sku in skus}
        for sku, location, on_hand, reserved in (
            StockLevel.objects.filter(variant__sku__in=skus, location__channels=channel, location__is_active=True)
            .order_by("location__priority", "location__code")
            .values_list("variant__sku", "location__code", "on_hand", "reserved")
        ):
            rows[sku].append(
                {
                    "sku": sku,
                    "location": location,
                    "on_hand": on_hand,
                    "reserved": reserved,
                    "available": on_hand - reserved,
                }
            )
        results = [
            {"sku": sku, "available": sum(r["available"] for r in rows[sku]), "locations": rows[sku]} for sku in skus
        ]
        return Response(s.StockSerializer({"channel": channel.code, "results": results}).data)


class ProductCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ProductListView(APIBase):
    required_permissions = {"GET": ("catalog.view_variant", "catalog.view_price")}

    @extend_schema(
        operation_id="products_list",
        parameters=[OpenApiParameter("channel", str, required=True, description="Channel code")],
        responses={200: s.ProductPageSerializer, **ERRORS},
        description="The variants the channel sells, with the net unit price of its price list and what is available.",
    )
    def get(self, request):
        channel = _channel_param(request)
        queryset = Variant.objects.filter(
            is_active=True, product__is_active=True, product__channels=channel
        ).select_related("product__tax_rate")
        paginator = ProductCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        ids = [v.pk for v in page]
        tiers: dict[int, list[dict]] = {}
        for variant_id, min_quantity, amount in (
            Price.objects.filter(price_list_id=channel.price_list_id, variant_id__in=ids)
            .order_by("variant_id", "min_quantity")
            .values_list("variant_id", "min_quantity", "amount")
        ):
            tiers.setdefault(variant_id, []).append({"min_quantity": min_quantity, "price": amount})
        available = get_availability(variant_ids=ids, channel_id=channel.pk)
        rows = [
            {
                "sku": v.sku,
                "name": f"{v.product.name} {v.name}".strip(),
                "product": v.product.name,
                "variant": v.name,
                "barcode": v.barcode,
                "weight_grams": v.weight_grams,
                "currency": channel.price_list.currency,
                "price": next((t["price"] for t in tiers.get(v.pk, []) if t["min_quantity"] <= 1), None),
                "tiers": tiers.get(v.pk, []),
                "tax_rate": v.product.tax_rate.rate,
                "available": available.get(v.pk, 0),
                "allow_backorder": v.allow_backorder,
            }
            for v in page
        ]
        return paginator.get_paginated_response(s.ProductSerializer(rows, many=True).data)


# --- invoices ---------------------------------------------------------------------------------


def _invoice(number: str) -> Invoice:
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None:
        raise APIError(status_code=404, code="not_found", message=_("No invoice or credit note with this number."))
    return invoice


class InvoicePDFView(APIBase):
    """The invoice's Factur-X PDF (PDF/A-3b with the CII XML inside), as the customer got it."""

    required_permissions = {"GET": ("billing.view_invoice",)}

    @extend_schema(
        operation_id="invoices_pdf",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        description="The invoice or credit note as a Factur-X PDF (PDF/A-3b, EN 16931 XML embedded).",
    )
    def get(self, request, number: str):
        invoice = render_invoice_pdf(invoice_id=_invoice(number).pk)  # no-op when stored
        return FileResponse(
            default_storage.open(invoice.pdf.name, "rb"),
            filename=f"{invoice.number}.pdf",
            content_type="application/pdf",
        )


class InvoiceXMLView(APIBase):
    """The invoice's Cross Industry Invoice XML alone, for systems that import XML invoices."""

    required_permissions = {"GET": ("billing.view_invoice",)}

    @extend_schema(
        operation_id="invoices_xml",
        responses={(200, "application/xml"): OpenApiTypes.BINARY, **ERRORS},
        description="The invoice or credit note as EN 16931 Cross Industry Invoice XML (the same bytes "
        "as the factur-x.xml inside its PDF).",
    )
    def get(self, request, number: str):
        invoice = _invoice(number)
        response = HttpResponse(get_invoice_xml(invoice=invoice), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
        return response
