"""The demo's store settings name the demo merchant (header, e-mails and invoices agree with
the footer's legal name), run after run, without overwriting an owner's own name."""

import pytest
from django.conf import settings

from catalog.models import StoreSettings
from orders.management.demo.reference import DEMO_LEGAL_NAME, DEMO_STORE_NAME, _ensure_store_settings

pytestmark = pytest.mark.django_db


def test_the_seed_names_the_store_as_its_legal_name_and_is_idempotent():
    _ensure_store_settings()
    _ensure_store_settings()
    store = StoreSettings.load()
    assert store.name == DEMO_STORE_NAME and store.legal_name == DEMO_LEGAL_NAME
    assert DEMO_LEGAL_NAME.startswith(store.name)


def test_a_row_left_with_the_default_name_gets_the_demo_name_an_owners_name_is_kept():
    StoreSettings.objects.create(pk=1, name=settings.STORE_NAME)
    _ensure_store_settings()
    assert StoreSettings.load().name == DEMO_STORE_NAME
    StoreSettings.objects.filter(pk=1).update(name="Ada's Yarns")
    _ensure_store_settings()
    assert StoreSettings.load().name == "Ada's Yarns"
