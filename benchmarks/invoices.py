"""Invoice rendering: WeasyPrint time per document, throughput and peak memory.

Measures, on a throwaway SQLite database in a temporary ``BACKROOM_VAR_DIR``:

- the floor, twice: WeasyPrint rendering a bare one-line page in its default font (what
  WeasyPrint costs at the least), and a one-line invoice (what any document of ours costs:
  the two embedded font subsets, the header, party, VAT, totals and payment blocks, PDF/A-3b
  with its XML) — the 10-line invoice is compared with the second;
- a one-page invoice (10 lines) as it is issued (Factur-X: PDF/A-3b with the EN 16931 XML
  inside), the same page without the Factur-X parts, and the XML alone;
- a 5-page invoice (~100 lines) and a 10-page one (200 lines);
- invoices rendered and e-mailed per minute by one process (render + locmem e-mail, as
  the Celery task does), and the process's peak memory (what a worker would hold).

Targets (issue 5): one-page within 2× the floor (the one-line invoice) and under 200 ms median warm, 5 pages
under 2 s, peak memory under 250 MiB; (issue 9) the one-page Factur-X invoice under 300 ms.
Medians are wall-clock; CPU time is printed beside them, as the machine is shared. Options: ``python benchmarks/invoices.py --help``.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))


def _setup(var_dir: str) -> None:
    os.environ["BACKROOM_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-never-deploy-0123456789abcdef")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(Path(var_dir) / "media")
    call_command("migrate", verbosity=0)


def _timed(fn, *, runs: int, warmup: int = 1) -> tuple[float, float]:
    """Median wall-clock and median CPU milliseconds of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _invoice(lines: int):
    from unittest.mock import patch

    from billing.services import issue_invoice
    from tests.billing.factories import placed_order

    order = placed_order(
        prices=[Decimal("12.34") + i for i in range(lines)], quantities=[1 + i % 3 for i in range(lines)]
    )
    with patch("billing.services.invoices._enqueue_delivery"):
        return issue_invoice(order=order)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed renders of the one-page invoice (default 15)")
    parser.add_argument(
        "--emails", type=int, default=20, help="invoices rendered and e-mailed for the rate (default 20)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="backroom-bench-invoices-") as var_dir:
        _setup(var_dir)
        from django.template.loader import render_to_string
        from django.utils.html import strip_spaces_between_tags
        from weasyprint import HTML

        from billing.services import build_invoice_pdf, send_invoice_email
        from billing.services.documents import STATIC_DIR, document_context, html_to_pdf
        from billing.services.facturx import build_facturx_xml
        from tests.billing.factories import store_with_legal_details

        store_with_legal_details()
        floor, floor_cpu = _timed(
            lambda: HTML(string="<p>One line.</p>", base_url=STATIC_DIR.as_uri() + "/").write_pdf(), runs=args.runs
        )
        single = _invoice(1)
        one = _invoice(10)
        five = _invoice(100)
        ten = _invoice(200)

        def plain_pdf(invoice):
            html = render_to_string("billing/invoice_pdf.html", document_context(invoice))
            return html_to_pdf(strip_spaces_between_tags(html), sheets=("pdf_fonts.css", "invoice.css"))

        single_ms, single_cpu = _timed(lambda: build_invoice_pdf(single), runs=args.runs)
        one_ms, one_cpu = _timed(lambda: build_invoice_pdf(one), runs=args.runs)
        plain_ms, plain_cpu = _timed(lambda: plain_pdf(one), runs=args.runs)
        xml_ms, xml_cpu = _timed(lambda: build_facturx_xml(one), runs=args.runs)
        five_ms, five_cpu = _timed(lambda: build_invoice_pdf(five), runs=3)
        ten_ms, ten_cpu = _timed(lambda: build_invoice_pdf(ten), runs=3)

        from io import BytesIO

        from pypdf import PdfReader

        pages = {
            name: len(PdfReader(BytesIO(build_invoice_pdf(inv))).pages)
            for name, inv in (("one", one), ("five", five), ("ten", ten))
        }
        batch = [_invoice(10) for _ in range(args.emails)]
        start = time.perf_counter()
        for invoice in batch:
            send_invoice_email(invoice_id=invoice.pk)
        per_minute = args.emails / (time.perf_counter() - start) * 60
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"bare one-line page (WeasyPrint)    {floor:8.1f} ms median  (CPU {floor_cpu:6.1f} ms)")
    print(f"floor: invoice 1 line, Factur-X    {single_ms:8.1f} ms median  (CPU {single_cpu:6.1f} ms)")
    print(
        f"invoice 10 lines, Factur-X ({pages['one']} page)  {one_ms:8.1f} ms median  (CPU {one_cpu:6.1f} ms,"
        f" {one_ms / single_ms:.2f}× floor)"
    )
    print(f"  same page without Factur-X       {plain_ms:8.1f} ms median  (CPU {plain_cpu:6.1f} ms)")
    print(f"  its EN 16931 XML alone           {xml_ms:8.1f} ms median  (CPU {xml_cpu:6.1f} ms)")
    print(f"invoice 100 lines ({pages['five']} pages)         {five_ms:8.1f} ms median  (CPU {five_cpu:6.1f} ms)")
    print(f"invoice 200 lines ({pages['ten']} pages)        {ten_ms:8.1f} ms median  (CPU {ten_cpu:6.1f} ms)")
    print(f"rendered and e-mailed              {per_minute:8.0f} per minute (one process)")
    print(f"peak memory                        {peak_mib:8.0f} MiB")
    print()
    targets = [
        ("one page within 2× the floor", one_ms <= 2 * single_ms, f"{one_ms / single_ms:.2f}×"),
        ("one page under 200 ms (issue 5)", one_ms < 200, f"{one_ms:.0f} ms"),
        ("one page Factur-X under 300 ms (issue 9)", one_ms < 300, f"{one_ms:.0f} ms"),
        ("5 pages (100 lines) under 2 s", five_ms < 2000, f"{five_ms:.0f} ms"),
        ("peak memory under 250 MiB", peak_mib < 250, f"{peak_mib:.0f} MiB"),
    ]
    for label, met, figure in targets:
        print(f"{label:<42} {figure:>9}   {'ok' if met else 'missed'}")
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        print("font subsetting: fontTools (libharfbuzz-subset0 is missing: renders are about 3× slower)")
    else:
        print("font subsetting: HarfBuzz")
    print(f"load average (1/5/15 min): {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
