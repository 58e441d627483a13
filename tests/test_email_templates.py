"""Plain-text e-mails (subjects and bodies) are not HTML: a store or customer called
"Linen & Co" must not read "Linen &amp; Co". Every ``email/*.txt`` template turns Django's
autoescaping off (partials included from them inherit it)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

TEMPLATES = sorted(
    path for path in Path(settings.BASE_DIR, "templates").glob("*/email/*.txt") if not path.name.startswith("_")
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_plain_text_e_mail_templates_do_not_html_escape(path):
    assert "{% autoescape off %}" in path.read_text(encoding="utf-8")


def test_a_store_name_with_an_ampersand_reads_as_typed():
    subject = render_to_string("orders/email/cart_reminder.subject.txt", {"store_name": "Linen & Co"})
    assert subject.strip() == "Linen & Co: your cart is waiting"
