import itertools

import pytest

from shipping.models import SHIPMENT_TRANSITIONS, Shipment, ShipmentStatus

ALLOWED = {
    ("pending", "packed"),
    ("pending", "shipped"),
    ("pending", "ready_for_pickup"),
    ("pending", "picked_up"),
    ("packed", "shipped"),
    ("packed", "ready_for_pickup"),
    ("shipped", "in_transit"),
    ("shipped", "out_for_delivery"),
    ("shipped", "delivered"),
    ("shipped", "exception"),
    ("shipped", "returned"),
    ("in_transit", "out_for_delivery"),
    ("in_transit", "delivered"),
    ("in_transit", "exception"),
    ("in_transit", "returned"),
    ("out_for_delivery", "delivered"),
    ("out_for_delivery", "exception"),
    ("out_for_delivery", "returned"),
    ("exception", "in_transit"),
    ("exception", "out_for_delivery"),
    ("exception", "delivered"),
    ("exception", "returned"),
    ("ready_for_pickup", "picked_up"),
}


def test_the_table_covers_every_status():
    assert set(SHIPMENT_TRANSITIONS) == set(ShipmentStatus.values)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(ShipmentStatus.values, repeat=2)))
def test_every_shipment_transition_is_allowed_or_forbidden_as_written(old, new):
    # given
    shipment = Shipment(status=old)
    # when
    allowed = shipment.can_become(new)
    # then
    assert allowed == ((old, new) in ALLOWED)


@pytest.mark.parametrize("final", ["delivered", "returned", "picked_up"])
def test_final_statuses_go_nowhere(final):
    assert Shipment(status=final).allowed_transitions == frozenset()
