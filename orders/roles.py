"""The three roles as Django groups, and the permissions each one holds.

Read by the data migration that creates the groups and by the navigation, so that the
two never disagree about what a role may open.
"""

OWNER = "Owner"
STAFF = "Staff"
WAREHOUSE = "Warehouse"

APPS = ("catalog", "inventory", "orders", "billing", "shipping")

# (app_label, codename) pairs; the Owner holds every permission of the five apps.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    STAFF: [
        *[("catalog", f"view_{m}") for m in ("product", "variant", "price", "pricelist", "channel", "category", "taxrate", "customergroup")],
        *[("inventory", f"view_{m}") for m in ("location", "stocklevel", "stockmovement", "reservation")],
        *[("orders", f"{a}_{m}") for m in ("order", "orderline", "customer", "address") for a in ("add", "change", "view")],
        ("orders", "view_orderevent"),
        ("orders", "add_orderevent"),
        *[("billing", f"{a}_payment") for a in ("add", "view")],
        ("billing", "view_invoice"),
        ("billing", "add_invoice"),
        *[("shipping", f"view_{m}") for m in ("shippingmethod", "shipment", "shipmentline", "trackingevent")],
        *[("shipping", f"{a}_{m}") for m in ("shipment", "shipmentline", "trackingevent") for a in ("add", "change")],
    ],
    WAREHOUSE: [
        *[("catalog", f"view_{m}") for m in ("product", "variant", "category")],
        *[("inventory", f"{a}_{m}") for m in ("stocklevel", "stockmovement") for a in ("add", "change", "view")],
        *[("inventory", f"view_{m}") for m in ("location", "reservation")],
        *[("orders", f"view_{m}") for m in ("order", "orderline", "customer", "orderevent")],
        ("orders", "add_orderevent"),
        *[("shipping", f"view_{m}") for m in ("shippingmethod", "shipment", "shipmentline", "trackingevent")],
        *[("shipping", f"{a}_{m}") for m in ("shipment", "shipmentline", "trackingevent") for a in ("add", "change")],
    ],
}
