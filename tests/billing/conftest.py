"""Every invoice and credit note PDF rendered by the billing tests is checked as Factur-X.

The autouse fixture wraps ``build_invoice_pdf`` (which ``render_invoice_pdf``, the e-mail
task and the views call), so whatever a test does, each PDF it produces is read back with
the ``factur-x`` library: the XML is extracted, validated against the official EN 16931
XSD and the EN 16931 totals rules, and the PDF must be PDF/A-3 with the attachment.
"""

import pytest

from billing.services import documents
from tests.billing.facturx_checks import assert_valid_facturx_pdf


@pytest.fixture(autouse=True)
def facturx_checked(monkeypatch):
    """The list of invoice numbers whose PDFs were checked in this test."""
    checked: list[str] = []
    build = documents.build_invoice_pdf

    def build_and_check(invoice):
        pdf = build(invoice)
        assert_valid_facturx_pdf(pdf, number=invoice.number)
        checked.append(invoice.number)
        return pdf

    build_and_check.__wrapped_build__ = build  # the unchecked one, for a test of the fallback
    monkeypatch.setattr(documents, "build_invoice_pdf", build_and_check)
    return checked
