"""The three roles as Django groups, and the permissions each one holds.

Read by the data migration that creates the groups and by the navigation, so that the
two never disagree about what a role may open.
"""

from django.utils.translation import gettext_lazy as _

OWNER = "Owner"
STAFF = "Staff"
WAREHOUSE = "Warehouse"

# What people read: the group names above are stored and compared, never shown as they are.
ROLE_LABELS = {OWNER: _("Owner"), STAFF: _("Staff"), WAREHOUSE: _("Warehouse")}

APPS = ("catalog", "inventory", "orders", "billing", "shipping")

# (app_label, codename) pairs; the Owner holds every permission of the five apps.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    STAFF: [
        *[
            ("catalog", f"view_{m}")
            for m in ("product", "variant", "price", "pricelist", "channel", "category", "taxrate", "customergroup")
        ],
        *[("catalog", f"view_{m}") for m in ("discountcode", "discountredemption")],
        *[("inventory", f"view_{m}") for m in ("location", "stocklevel", "stockmovement", "reservation")],
        *[
            ("orders", f"{a}_{m}")
            for m in ("order", "orderline", "customer", "address")
            for a in ("add", "change", "view")
        ],
        ("orders", "view_orderevent"),
        ("orders", "add_orderevent"),
        *[("billing", f"{a}_payment") for a in ("add", "view")],
        ("billing", "view_invoice"),
        ("billing", "add_invoice"),
        *[("shipping", f"view_{m}") for m in ("shippingmethod", "shipment", "shipmentline", "trackingevent")],
        *[("shipping", f"{a}_{m}") for m in ("shipment", "shipmentline", "trackingevent") for a in ("add", "change")],
        ("shipping", "view_shippingrate"),
        *[("orders", f"view_{m}") for m in ("cart", "cartline", "cartevent")],  # the cart report
        *[("shipping", f"{a}_{m}") for m in ("return", "returnline") for a in ("add", "change", "view")],
        *[("orders", f"{a}_savedorderview") for a in ("add", "change", "delete", "view")],
        *[("orders", f"{a}_orderimport") for a in ("add", "view")],  # the CSV import of marketplace orders
    ],
    WAREHOUSE: [
        *[("catalog", f"view_{m}") for m in ("product", "variant", "category")],
        *[("inventory", f"{a}_{m}") for m in ("stocklevel", "stockmovement") for a in ("add", "change", "view")],
        *[("inventory", f"view_{m}") for m in ("location", "reservation")],
        *[("orders", f"view_{m}") for m in ("order", "orderline", "customer", "orderevent")],
        ("orders", "add_orderevent"),
        *[("shipping", f"view_{m}") for m in ("shippingmethod", "shipment", "shipmentline", "trackingevent")],
        *[("shipping", f"{a}_{m}") for m in ("shipment", "shipmentline", "trackingevent") for a in ("add", "change")],
        *[("shipping", f"{a}_{m}") for m in ("return", "returnline") for a in ("add", "change", "view")],
        *[("orders", f"{a}_savedorderview") for a in ("add", "change", "delete", "view")],
    ],
}


def sync_roles(*, group_model=None, permission_model=None) -> None:
    """Create the three groups and give each exactly its permissions; safe to run again.

    The data migration runs it with historical models; ``post_migrate`` runs it again so that
    permissions of models added later reach the roles, and so that a database flushed
    between tests gets its roles back.
    """
    if group_model is None or permission_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    owner, _created = group_model.objects.get_or_create(name=OWNER)
    owner.permissions.set(permission_model.objects.filter(content_type__app_label__in=APPS))
    for role, pairs in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = permission_model.objects.none()
        for app_label in {app for app, _code in pairs}:
            codes = [code for app, code in pairs if app == app_label]
            wanted = wanted | permission_model.objects.filter(content_type__app_label=app_label, codename__in=codes)
        group.permissions.set(wanted)
