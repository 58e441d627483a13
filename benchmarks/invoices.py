"""Invoice rendering: WeasyPrint time per document, throughput and peak memory.

Measures, on a throwaway SQLite database in a temporary ``BACKROOM_VAR_DIR``:

- the floor: WeasyPrint rendering a one-line page (warm median);
- a one-page invoice (10 lines), a 5-page one (~100 lines) and a 10-page one (200 lines);
- invoices rendered and e-mailed per minute by one process (render + locmem e-mail, as
  the Celery task does), and the process's peak memory (what a worker would hold).

Targets (issue 5): one-page within 2× the floor and under 200 ms median warm, 5 pages
under 2 s, peak memory under 250 MiB. Options: ``python benchmarks/invoices.py --help``.
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


def _median_ms(fn, *, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


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
        from weasyprint import HTML

        from billing.services import build_invoice_pdf, send_invoice_email
        from billing.services.documents import STATIC_DIR
        from tests.billing.factories import store_with_legal_details

        store_with_legal_details()
        floor = _median_ms(
            lambda: HTML(string="<p>One line.</p>", base_url=STATIC_DIR.as_uri() + "/").write_pdf(), runs=args.runs
        )
        one = _invoice(10)
        five = _invoice(100)
        ten = _invoice(200)
        one_ms = _median_ms(lambda: build_invoice_pdf(one), runs=args.runs)
        five_ms = _median_ms(lambda: build_invoice_pdf(five), runs=3)
        ten_ms = _median_ms(lambda: build_invoice_pdf(ten), runs=3)

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

    print(f"floor (one-line page)          {floor:8.1f} ms median")
    print(f"invoice 10 lines ({pages['one']} page)       {one_ms:8.1f} ms median  ({one_ms / floor:.1f}× floor)")
    print(f"invoice 100 lines ({pages['five']} pages)     {five_ms:8.1f} ms median")
    print(f"invoice 200 lines ({pages['ten']} pages)     {ten_ms:8.1f} ms median")
    print(f"rendered and e-mailed          {per_minute:8.0f} per minute (one process)")
    print(f"peak memory                    {peak_mib:8.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
