"""Checks every Factur-X PDF of the billing tests goes through (see ``conftest.py``)."""

import io

import facturx
from lxml import etree
from pypdf import PdfReader

from billing.services.facturx import en16931_total_errors


def assert_valid_facturx_xml(xml: bytes) -> None:
    """Valid against the official Factur-X EN 16931 XSD and the EN 16931 calculation rules."""
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    assert en16931_total_errors(xml) == []


def assert_valid_facturx_pdf(pdf: bytes, *, number: str | None = None) -> bytes:
    """A PDF/A-3 with ``factur-x.xml`` (relationship Data) and the Factur-X XMP; returns the XML."""
    filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml"
    assert_valid_facturx_xml(xml)
    if number is not None:
        assert f"<ram:ID>{number}</ram:ID>".encode() in xml
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert xmp.count(b"<rdf:RDF") == 1
    specs = [ref.get_object() for ref in root["/AF"]]
    assert [(spec["/F"], spec["/AFRelationship"]) for spec in specs] == [("factur-x.xml", "/Data")]
    assert specs[0]["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert list(reader.attachments) == ["factur-x.xml"]
    return xml
