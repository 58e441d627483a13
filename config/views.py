"""The Settings index (``/settings/``): every settings page, grouped, that the signed-in user may open.

The settings pages belong to several apps (API tokens in ``orders``, webhooks and discount codes in
``catalog``, the rest are admin pages of ``catalog``, ``inventory`` and ``shipping``), so the index
sits in ``config/`` beside ``urls.py`` and, like it, knows the other apps only by URL name and
model label: it imports nothing of ours. Each entry asks what its target asks: a page's permission,
or for an admin page the admin's own check (staff account, and view or change permission on a
registered model). A signed-in user who may open none of them gets 403, like every other page.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class SettingsPage:
    title: Promise
    description: Promise
    url_name: str = ""  # a back-office page, opened with ``permission``
    permission: str = ""
    model: str = ""  # or an admin changelist: "app_label.ModelName"


GROUPS: list[tuple[Promise, list[SettingsPage]]] = [
    (
        _("Store"),
        [
            SettingsPage(
                _("Store settings"),
                _("Name, address, VAT id and bank details on invoices; the rules for payments, refunds and carts."),
                model="catalog.StoreSettings",
            ),
            SettingsPage(
                _("Channels"),
                _("Where orders come from (web shop, phone, counter, wholesale, marketplaces) and their prices."),
                model="catalog.Channel",
            ),
            SettingsPage(
                _("Locations"),
                _("Warehouses and shops that hold stock, the channels they serve and which is used first."),
                model="inventory.Location",
            ),
        ],
    ),
    (
        _("Prices and tax"),
        [
            SettingsPage(
                _("Price lists"),
                _("Prices per channel or customer group, net or with VAT included."),
                model="catalog.PriceList",
            ),
            SettingsPage(
                _("Customer groups"),
                _("Groups of customers, such as wholesale buyers, with a price list of their own."),
                model="catalog.CustomerGroup",
            ),
            SettingsPage(
                _("Tax rates"),
                _("The VAT rates and categories that products and shipping are charged at."),
                model="catalog.TaxRate",
            ),
            SettingsPage(
                _("Discount codes"),
                _("Codes customers enter at checkout or staff add to an order, with their limits and uses."),
                url_name="catalog:discount-list",
                permission="catalog.view_discountcode",
            ),
        ],
    ),
    (
        _("Shipping"),
        [
            SettingsPage(
                _("Shipping methods"),
                _("Delivery and pickup options, their prices and rates, and the channels that offer them."),
                model="shipping.ShippingMethod",
            ),
            SettingsPage(
                _("Carrier accounts"),
                _("How shipments are handed to each carrier, and the secret that signs its tracking updates."),
                model="shipping.CarrierAccount",
            ),
        ],
    ),
    (
        _("Integrations"),
        [
            SettingsPage(
                _("API tokens"),
                _("A key that lets another system use the JSON API as you, with your role's rights."),
                url_name="api-tokens:list",
                permission="orders.view_order",
            ),
            SettingsPage(
                _("Webhooks"),
                _("Addresses that hear about orders, payments, shipments and low stock, and their delivery log."),
                url_name="webhooks:endpoint-list",
                permission="catalog.view_webhookendpoint",
            ),
        ],
    ),
]


def _url_if_allowed(request: HttpRequest, page: SettingsPage) -> str:
    """The page's URL when this user may open it, else ``""``."""
    if page.model:
        if not admin.site.has_permission(request):  # the admin's own gate: an active staff account
            return ""
        try:
            model_admin = admin.site.get_model_admin(apps.get_model(page.model))
        except NotRegistered:
            return ""
        if not model_admin.has_view_or_change_permission(request):
            return ""
        opts = model_admin.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    if not request.user.has_perm(page.permission):
        return ""
    try:
        return reverse(page.url_name)
    except NoReverseMatch:
        return ""


def settings_pages_for(request: HttpRequest) -> list[dict]:
    """The groups that hold at least one page this user may open, each with those pages only."""
    groups = []
    for title, pages in GROUPS:
        entries = [
            {"title": page.title, "description": page.description, "url": url, "in_admin": bool(page.model)}
            for page in pages
            if (url := _url_if_allowed(request, page))
        ]
        if entries:
            groups.append({"title": title, "pages": entries})
    return groups


@login_required
def settings_index_view(request: HttpRequest) -> HttpResponse:
    groups = settings_pages_for(request)
    if not groups:
        raise PermissionDenied
    return render(request, "settings/index.html", {"groups": groups})
