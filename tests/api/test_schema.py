"""The OpenAPI schema validates and documents the contract; the docs page runs under our CSP."""

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates(schema):
    validate_schema(schema)  # drf-spectacular's own check (OpenAPI 3.0 JSON schema)
    validate(yaml.safe_load(yaml.safe_dump(schema)))  # openapi-spec-validator


def test_schema_names_the_contract(schema):
    paths = schema["paths"]
    assert {
        "/api/v1/orders/",
        "/api/v1/orders/{number}/",
        "/api/v1/orders/{number}/cancel/",
        "/api/v1/orders/{number}/payments/",
        "/api/v1/orders/{number}/shipments/",
        "/api/v1/shipments/{id}/events/",
        "/api/v1/stock/",
        "/api/v1/products/",
    } <= set(paths)
    order = schema["components"]["schemas"]["OrderDetail"]["properties"]
    for name in (
        "number",
        "tracking_code",
        "channel",
        "status",
        "payment_status",
        "fulfilment_status",
        "currency",
        "subtotal",
        "shipping",
        "discount",
        "tax",
        "total",
        "balance_due",
        "lines",
        "payments",
        "invoices",
        "shipments",
    ):
        assert name in order, name
    assert order["total"]["type"] == "string" and order["total"]["format"] == "decimal"
    address = schema["components"]["schemas"]["AddressRequest"]
    assert set(address["required"]) == {"name", "line1", "city", "postal_code", "country"}
    assert "Idempotency-Key" in [p["name"] for p in paths["/api/v1/orders/"]["post"]["parameters"]]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["type"] == "apiKey"


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    assert "<style" not in html and "<script>" not in html  # nothing inline: CSP style-src/script-src 'self'
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    # the init script is a separate same-origin script (CSP script-src 'self', no inline script)
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()
    csp = docs["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
