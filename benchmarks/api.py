"""API benchmark: orders placed over HTTP through ``POST /api/v1/orders/`` on gunicorn and PostgreSQL.

Creates its own PostgreSQL database (``backroom_bench_api``), migrates it and seeds one
channel, one warehouse, a parcel method, a Staff user with an API token, 50 customers and
three sets of SKUs. It starts gunicorn (4 sync workers by default) on a free loopback
port, then for each phase a load generator in this process (a thread pool, each thread
sending one request at a time with ``http.client``) posts orders of 1–3 lines (quantities
1–3) for a fixed time, each with its own ``Idempotency-Key``:

* hot      5 SKUs with plenty of stock: every order fights over the same rows;
* cold     500 SKUs with plenty of stock: orders rarely meet;
* sellout  5 SKUs with 20 units each: most requests are refused with 409 insufficient_stock.

It prints per phase: requests, orders placed, refusals for insufficient stock, other
failures (anything but 201 or a 409 ``insufficient_stock``; must be 0), orders/s, and
p50/p99 latency as the client sees it; then the units sold beyond the stock (must be 0) and
``check_stock``. It exits non-zero on any other failure, oversell or stock discrepancy.

    python benchmarks/api.py [--seconds 10] [--clients 8] [--workers 4] [--host 127.0.0.1] [--user root] [--keep]

Without a reachable PostgreSQL it says so and exits 0, so ``make bench`` works on a laptop.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "backroom_bench_api"
HOT_SKUS = 5
COLD_SKUS = 500
PLENTY = 1_000_000
SELLOUT_STOCK = 20
CUSTOMERS = 50


def _env(database_url: str, var_dir: str) -> dict[str, str]:
    """The environment of this process and of gunicorn: the benchmark database, no HTTPS, no Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": env.get("SECRET_KEY") or "benchmark-only-secret-key-never-used-for-anything-real-0123456789",
            "BACKROOM_VAR_DIR": var_dir,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "AXES_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("DEBUG", "REDIS_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER"):
        env.pop(name, None)  # e-mail tasks go to the filesystem broker under var_dir, never sent
    return env


def _django(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()


def _pg(command: str, *args: str, opts) -> subprocess.CompletedProcess:
    return subprocess.run(
        [command, "-h", opts.host, "-p", str(opts.port), "-U", opts.user, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def seed() -> tuple[str, dict[str, list[str]]]:
    """The shop the load generator orders from; returns the API token and the SKUs per set."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from catalog.models import Category, Channel, Price, PriceList, Product, TaxRate, Variant
    from config.roles import STAFF
    from inventory.models import Location
    from inventory.services import receive_stock
    from orders.models import Customer
    from shipping.models import ShippingMethod

    price_list = PriceList.objects.create(code="bench", name="Bench", currency="EUR")
    channel = Channel.objects.create(code="marketplace", name="Marketplace", kind="marketplace", price_list=price_list)
    location = Location.objects.create(code="bench", name="Bench warehouse")
    location.channels.add(channel)
    ShippingMethod.objects.create(code="parcel", name="Parcel", carrier="DHL", price_amount=Decimal("4.90"))
    tax = TaxRate.objects.create(name="Bench standard", rate=Decimal("19.00"))
    category = Category.objects.create(name="Bench", slug="bench")
    sets: dict[str, list[str]] = {}
    for name, (count, on_hand) in {
        "hot": (HOT_SKUS, PLENTY),
        "cold": (COLD_SKUS, PLENTY),
        "sellout": (HOT_SKUS, SELLOUT_STOCK),
    }.items():
        products = Product.objects.bulk_create(
            Product(name=f"{name} {i}", slug=f"{name}-{i}", category=category, tax_rate=tax) for i in range(count)
        )
        variants = Variant.objects.bulk_create(
            Variant(product=p, sku=f"{name.upper()}-{i:04d}", name="One size", weight_grams=200)
            for i, p in enumerate(products)
        )
        Price.objects.bulk_create(Price(price_list=price_list, variant=v, amount=Decimal("9.90")) for v in variants)
        channel.products.add(*products)
        for variant in variants:
            receive_stock(variant=variant, location=location, quantity=on_hand, reason="benchmark")
        sets[name] = [v.sku for v in variants]
    Customer.objects.bulk_create(
        Customer(email=f"buyer{i}@bench.example", first_name="Bench", last_name=f"Buyer {i}") for i in range(CUSTOMERS)
    )
    user = get_user_model().objects.create_user(username="bench-api", password=uuid.uuid4().hex, is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF))
    return Token.objects.create(user=user).key, sets


# ----------------------------------------------------------------------------------------
# gunicorn and the load generator
# ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], *, workers: int, port: int) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "config.wsgi:application", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/orders/")
            if conn.getresponse().status == 401:
                return process
        except OSError:
            time.sleep(0.3)
    stop_gunicorn(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def post_order(port: int, token: str, body: bytes) -> tuple[int, str, float]:
    """One request on its own connection (gunicorn's sync workers close after each answer)."""
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/api/v1/orders/",
            body=body,
            headers={
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        response = conn.getresponse()
        data = response.read()
        code = ""
        if response.status != 201:
            try:
                code = json.loads(data)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = data[:80].decode(errors="replace")
        return response.status, code, time.perf_counter() - began
    except OSError as exc:
        return 0, repr(exc), time.perf_counter() - began
    finally:
        conn.close()


def run_phase(*, name: str, skus: list[str], port: int, token: str, opts) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter = Counter()
    failures: Counter = Counter()
    units: Counter = Counter()
    deadline = time.perf_counter() + opts.seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            chosen = rng.sample(skus, rng.randint(1, min(3, len(skus))))
            lines = [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in chosen]
            body = {
                "channel": "marketplace",
                "customer": {"email": f"buyer{rng.randrange(CUSTOMERS)}@bench.example", "name": "Bench Buyer"},
                "shipping_address": {
                    "name": "Bench Buyer",
                    "line1": "Lastweg 1",
                    "city": "Berlin",
                    "postal_code": "10115",
                    "country": "DE",
                },
                "shipping_method": "parcel",
                "lines": lines,
            }
            status, code, took = post_order(port, token, json.dumps(body).encode())
            with lock:
                latencies.append(took)
                if status == 201:
                    outcomes["placed"] += 1
                    units.update({line["sku"]: line["quantity"] for line in lines})
                elif status == 409 and code == "insufficient_stock":
                    outcomes["refused"] += 1
                else:
                    failures[f"{status} {code}"] += 1

    with ThreadPoolExecutor(max_workers=opts.clients) as pool:
        for future in [pool.submit(client, hash((name, i)) & 0xFFFF) for i in range(opts.clients)]:
            future.result()
    latencies.sort()
    requests = len(latencies)
    return {
        "phase": name,
        "skus": len(skus),
        "requests": requests,
        "placed": outcomes["placed"],
        "refused": outcomes["refused"],
        "failed": sum(failures.values()),
        "failures": failures,
        "orders_per_s": outcomes["placed"] / opts.seconds,
        "requests_per_s": requests / opts.seconds,
        "p50_ms": 1000 * _percentile(latencies, 50),
        "p99_ms": 1000 * _percentile(latencies, 99),
        "units": units,
    }


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def oversold(*, phase: dict, skus: list[str], stock: int) -> int:
    """Units confirmed with a 201 beyond the stock, plus any gap to what the database holds as reserved."""
    from inventory.models import StockLevel

    reserved = dict(StockLevel.objects.filter(variant__sku__in=skus).values_list("variant__sku", "reserved"))
    beyond = sum(max(0, phase["units"][sku] - stock) for sku in skus)
    mismatch = sum(abs(phase["units"][sku] - reserved.get(sku, 0)) for sku in skus)
    return beyond + mismatch


def print_table(rows: list[dict]) -> None:
    headers = [
        "phase",
        "SKUs",
        "requests",
        "placed",
        "refused (stock)",
        "failed",
        "orders/s",
        "req/s",
        "p50 ms",
        "p99 ms",
    ]
    cells = [
        [
            r["phase"],
            str(r["skus"]),
            str(r["requests"]),
            str(r["placed"]),
            str(r["refused"]),
            f"{r['failed']} ({100 * r['failed'] / max(1, r['requests']):.1f} %)",
            f"{r['orders_per_s']:.1f}",
            f"{r['requests_per_s']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_GUNICORN_WORKERS", 4)))
    parser.add_argument("--host", default=os.environ.get("BENCH_PGHOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PGPORT", 5432)))
    parser.add_argument("--user", default=os.environ.get("BENCH_PGUSER", "root"))
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database afterwards")
    opts = parser.parse_args()

    if not shutil.which("createdb"):
        print("API benchmark skipped: PostgreSQL client tools (createdb) are not installed.")
        return 0
    _pg("dropdb", "--if-exists", "--force", DB_NAME, opts=opts)
    created = _pg("createdb", DB_NAME, opts=opts)
    if created.returncode != 0:
        print(f"API benchmark skipped: cannot create {DB_NAME} on {opts.host}:{opts.port}: {created.stderr.strip()}")
        return 0
    var_dir = tempfile.mkdtemp(prefix="backroom-bench-api-")
    env = _env(f"postgres://{opts.user}@{opts.host}:{opts.port}/{DB_NAME}", var_dir)
    gunicorn = None
    try:
        _django(env)
        from django.core.management import call_command
        from django.db import connections

        from inventory.selectors import list_stock_discrepancies

        call_command("migrate", verbosity=0)
        token, sets = seed()
        connections.close_all()
        port = _free_port()
        gunicorn = start_gunicorn(env, workers=opts.workers, port=port)
        print(
            f"API benchmark on PostgreSQL ({DB_NAME}): gunicorn with {opts.workers} sync workers on 127.0.0.1:{port}, "
            f"{opts.clients} client threads, {opts.seconds:g} s per phase, orders of 1–3 lines × 1–3 units "
            f"with delivery and an Idempotency-Key, {os.cpu_count()} CPUs."
        )
        rows = []
        for name, stock in (("hot", PLENTY), ("cold", PLENTY), ("sellout", SELLOUT_STOCK)):
            phase = run_phase(name=name, skus=sets[name], port=port, token=token, opts=opts)
            phase["oversold"] = oversold(phase=phase, skus=sets[name], stock=stock)
            rows.append(phase)
        discrepancies = list_stock_discrepancies()
        print()
        print_table(rows)
        print()
        print(f"units sold beyond stock     {sum(r['oversold'] for r in rows)}")
        print(f"other failures              {sum(r['failed'] for r in rows)} (must be 0)")
        print(f"check_stock                 {'clean' if not discrepancies else f'{len(discrepancies)} discrepancies'}")
        for row in rows:
            for failure, count in row["failures"].most_common(5):
                print(f"  {row['phase']}: {count} × {failure}")
        connections.close_all()
        return 1 if discrepancies or any(r["oversold"] or r["failed"] for r in rows) else 0
    finally:
        if gunicorn is not None:
            stop_gunicorn(gunicorn)
        shutil.rmtree(var_dir, ignore_errors=True)
        if not opts.keep:
            _pg("dropdb", "--if-exists", "--force", DB_NAME, opts=opts)


if __name__ == "__main__":
    sys.exit(main())
