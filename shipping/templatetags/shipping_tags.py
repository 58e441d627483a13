from django import template

from shipping.selectors import has_something_to_ship

register = template.Library()


@register.filter
def left_to_ship(order) -> bool:
    """Whether some ordered unit is in no shipment yet (uses the prefetched shipments)."""
    return has_something_to_ship(order)


@register.filter
def latest_event(shipment):
    """The newest tracking event from the prefetched events (ordered newest first), or None."""
    events = list(shipment.events.all())
    return max(events, key=lambda e: (e.occurred_at, e.pk)) if events else None
