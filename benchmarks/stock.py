"""Stock benchmark: how fast orders are placed when everyone wants the same few SKUs.

Creates its own PostgreSQL database (``backroom_bench``), migrates it and seeds one channel,
one location and three sets of SKUs. Then, for each phase, N worker *processes* (spawned,
each with ``django.setup()`` and its own connection) place orders of 1–3 lines
(quantities 1–3, random line order) for a fixed time:

* hot      5 SKUs with plenty of stock: every order fights over the same rows;
* cold     500 SKUs with plenty of stock: orders rarely meet;
* sellout  5 SKUs with 20 units each: demand far above stock, to count oversold units.

It prints per phase: orders/s, p50/p99 latency of one placement, how long a placement
holds its stock rows locked (p50, from ``reserve_stock``'s first UPDATE to commit), the share of busy
backends waiting for a lock, oversold units, deadlocks and other errors; then the hot/cold
ratio against the targets of the issue (hot ≥ 0.5 × cold, hot ≥ 50 orders/s). It exits non-zero if anything was oversold, a
deadlock or another error occurred, or ``check_stock`` finds a discrepancy; missing a
throughput target is reported but is not a failure (it depends on the machine).

    python benchmarks/stock.py [--seconds 10] [--workers 8] [--host 127.0.0.1] [--user root] [--keep]

``BENCH_WORKER_HOOK=/path/to/file.py`` runs that file in every worker after ``django.setup()``:
a way to measure a proposed change (a monkeypatch) before making it.

Without a reachable PostgreSQL it says so and exits 0, so ``make bench`` works on a laptop.
"""

import argparse
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "backroom_bench"
HOT_SKUS = 5
COLD_SKUS = 500
PLENTY = 1_000_000
SELLOUT_STOCK = 20
TARGET_RATIO = 0.5
TARGET_HOT_ORDERS_PER_S = 50


def _django(database_url: str) -> None:
    """Point this process at the benchmark database and start Django."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The settings refuse to start without SECRET_KEY when DEBUG is off; DEBUG stays off so that
    # Django does not keep every query in memory.
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-never-used-for-anything-real-0123456789")
    os.environ.pop("DEBUG", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()


# ----------------------------------------------------------------------------------------
# Worker process
# ----------------------------------------------------------------------------------------


@dataclass
class WorkerResult:
    latencies_ok: list[float] = field(default_factory=list)
    latencies_all: list[float] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)  # from reserve_stock to commit: how long rows stay locked
    placed: int = 0
    refused: int = 0
    deadlocks: int = 0
    errors: list[str] = field(default_factory=list)
    units: Counter = field(default_factory=Counter)  # units confirmed to the caller, per variant id


def worker(database_url: str, channel_id: int, variant_ids: list[int], seconds: float, barrier, queue, seed: int):
    _django(database_url)
    import psycopg
    from django.db import OperationalError, connection

    from catalog.models import Channel, Variant
    from inventory.exceptions import InsufficientStock
    from orders.services import LineInput, place_order

    hook = os.environ.get("BENCH_WORKER_HOOK")
    if hook:  # try a proposed change without editing the code: a file run in every worker
        exec(compile(Path(hook).read_text(), hook, "exec"), {"__name__": "bench_hook"})
    import inventory.services

    # Row locks are taken right after reserve_stock's seam (its reads are done, its guarded
    # UPDATEs follow) and held until place_order commits: stamp that moment.
    reserving = {}
    seam = inventory.services._between_check_and_reserve

    def stamped_seam() -> None:
        reserving["at"] = time.perf_counter()
        seam()

    inventory.services._between_check_and_reserve = stamped_seam
    channel = Channel.objects.select_related("price_list").get(pk=channel_id)
    variants = list(Variant.objects.filter(pk__in=variant_ids))
    rng = random.Random(seed)
    result = WorkerResult()
    barrier.wait()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        chosen = rng.sample(variants, rng.randint(1, min(3, len(variants))))  # sample order = line order
        lines = [LineInput(variant=v, quantity=rng.randint(1, 3)) for v in chosen]
        began = time.perf_counter()
        try:
            place_order(channel=channel, lines=lines)
        except InsufficientStock:
            result.refused += 1
        except OperationalError as exc:
            if isinstance(exc.__cause__, psycopg.errors.DeadlockDetected):
                result.deadlocks += 1
            else:
                result.errors.append(repr(exc))
        except Exception as exc:
            result.errors.append(repr(exc))
        else:
            result.placed += 1
            result.latencies_ok.append(time.perf_counter() - began)
            result.holds.append(time.perf_counter() - reserving["at"])
            for line in lines:
                result.units[line.variant.pk] += line.quantity
        result.latencies_all.append(time.perf_counter() - began)
    connection.close()
    queue.put(result)


# ----------------------------------------------------------------------------------------
# Set-up, phases and report
# ----------------------------------------------------------------------------------------


def _pg(command: str, *args: str, opts) -> subprocess.CompletedProcess:
    return subprocess.run(
        [command, "-h", opts.host, "-p", str(opts.port), "-U", opts.user, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def seed(*, stock: dict[str, tuple[int, int]]):
    """One channel, one location, and ``count`` SKUs with ``on_hand`` units per set name.
    Stock goes in through ``receive_stock`` so that the ledger agrees with the levels."""
    from decimal import Decimal

    from catalog.models import Category, Channel, Price, PriceList, Product, TaxRate, Variant
    from inventory.models import Location
    from inventory.services import receive_stock

    price_list = PriceList.objects.create(code="bench", name="Bench", currency="EUR")
    channel = Channel.objects.create(code="bench", name="Bench", kind="phone", price_list=price_list)
    location = Location.objects.create(code="bench", name="Bench warehouse")
    location.channels.add(channel)
    tax = TaxRate.objects.create(name="Bench standard", rate=Decimal("19.00"))
    category = Category.objects.create(name="Bench", slug="bench")
    sets: dict[str, list[int]] = {}
    for name, (count, on_hand) in stock.items():
        products = Product.objects.bulk_create(
            Product(name=f"{name} {i}", slug=f"{name}-{i}", category=category, tax_rate=tax) for i in range(count)
        )
        variants = Variant.objects.bulk_create(
            Variant(product=p, sku=f"{name.upper()}-{i:04d}", name="One size") for i, p in enumerate(products)
        )
        Price.objects.bulk_create(Price(price_list=price_list, variant=v, amount=Decimal("9.90")) for v in variants)
        channel.products.add(*products)
        for variant in variants:
            receive_stock(variant=variant, location=location, quantity=on_hand, reason="benchmark")
        sets[name] = [v.pk for v in variants]
    return channel.pk, sets


def run_phase(*, name: str, database_url: str, channel_id: int, variant_ids: list[int], opts) -> dict:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(opts.workers)
    queue = ctx.Queue()
    processes = [
        ctx.Process(
            target=worker,
            args=(database_url, channel_id, variant_ids, opts.seconds, barrier, queue, hash((name, i)) & 0xFFFF),
        )
        for i in range(opts.workers)
    ]
    for process in processes:
        process.start()
    results: list[WorkerResult] = []
    samples: list[tuple[int, int]] = []
    give_up = time.monotonic() + opts.seconds + 120
    while len(results) < len(processes) and time.monotonic() < give_up:
        try:
            results.append(queue.get(timeout=0.05))
        except Empty:
            samples.append(_sample_waits())
    for process in processes:
        process.join(timeout=30)
    placed = sum(r.placed for r in results)
    latencies = sorted(x for r in results for x in r.latencies_all)
    units = Counter()
    for r in results:
        units.update(r.units)
    busy = [(locked, active) for locked, active in samples if active]
    return {
        "lock_wait_pct": 100 * sum(lk for lk, _a in busy) / max(1, sum(a for _lk, a in busy)),
        "phase": name,
        "skus": len(variant_ids),
        "placed": placed,
        "refused": sum(r.refused for r in results),
        "orders_per_s": placed / opts.seconds,
        "p50_ms": 1000 * _percentile(latencies, 50),
        "p99_ms": 1000 * _percentile(latencies, 99),
        "hold_ms": 1000 * _percentile(sorted(x for r in results for x in r.holds), 50),
        "deadlocks": sum(r.deadlocks for r in results),
        "errors": [e for r in results for e in r.errors],
        "units": units,
    }


def _sample_waits() -> tuple[int, int]:
    """Of the benchmark's backends running a statement now, how many wait for a lock held by another."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
        )
        locked, active = cursor.fetchone()
    return locked, active


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def oversold(*, phase: dict, variant_ids: list[int], stock: int) -> int:
    """Units confirmed to callers beyond the stock, plus any gap between what callers were told
    and what the database holds as reserved (a lost or phantom reservation counts too)."""
    from inventory.models import StockLevel

    reserved = dict(StockLevel.objects.filter(variant_id__in=variant_ids).values_list("variant_id", "reserved"))
    beyond_stock = sum(max(0, phase["units"][pk] - stock) for pk in variant_ids)
    mismatch = sum(abs(phase["units"][pk] - reserved.get(pk, 0)) for pk in variant_ids)
    return beyond_stock + mismatch


def print_table(rows: list[dict]) -> None:
    headers = [
        "phase",
        "SKUs",
        "placed",
        "refused",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "lock hold p50",
        "lock wait",
        "oversold",
        "deadlocks",
        "errors",
    ]
    cells = [
        [
            r["phase"],
            str(r["skus"]),
            str(r["placed"]),
            str(r["refused"]),
            f"{r['orders_per_s']:.1f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['hold_ms']:.1f} ms",
            f"{r['lock_wait_pct']:.0f} %",
            str(r["oversold"]),
            str(r["deadlocks"]),
            str(len(r["errors"])),
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
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 8)))
    parser.add_argument("--host", default=os.environ.get("BENCH_PGHOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PGPORT", 5432)))
    parser.add_argument("--user", default=os.environ.get("BENCH_PGUSER", "root"))
    parser.add_argument("--keep", action="store_true", help="keep the backroom_bench database afterwards")
    opts = parser.parse_args()

    if not shutil.which("createdb"):
        print("stock benchmark skipped: PostgreSQL client tools (createdb) are not installed.")
        return 0
    _pg("dropdb", "--if-exists", "--force", DB_NAME, opts=opts)
    created = _pg("createdb", DB_NAME, opts=opts)
    if created.returncode != 0:
        print(f"stock benchmark skipped: cannot create {DB_NAME} on {opts.host}:{opts.port}: {created.stderr.strip()}")
        return 0
    database_url = f"postgres://{opts.user}@{opts.host}:{opts.port}/{DB_NAME}"
    try:
        _django(database_url)
        from django.core.management import call_command
        from django.db import connections

        from inventory.selectors import list_stock_discrepancies

        call_command("migrate", verbosity=0)
        channel_id, sets = seed(
            stock={"hot": (HOT_SKUS, PLENTY), "cold": (COLD_SKUS, PLENTY), "sellout": (HOT_SKUS, SELLOUT_STOCK)}
        )
        connections.close_all()
        print(
            f"Stock benchmark on PostgreSQL ({DB_NAME}): {opts.workers} worker processes, "
            f"{opts.seconds:g} s per phase, orders of 1–3 lines × 1–3 units, {os.cpu_count()} CPUs."
        )
        rows = []
        for name, stock in (("hot", PLENTY), ("cold", PLENTY), ("sellout", SELLOUT_STOCK)):
            phase = run_phase(
                name=name, database_url=database_url, channel_id=channel_id, variant_ids=sets[name], opts=opts
            )
            phase["oversold"] = oversold(phase=phase, variant_ids=sets[name], stock=stock)
            rows.append(phase)
        discrepancies = list_stock_discrepancies()
        print()
        print_table(rows)
        hot, cold = rows[0], rows[1]
        ratio = hot["orders_per_s"] / cold["orders_per_s"] if cold["orders_per_s"] else float("nan")
        print()
        mark = {True: "ok", False: "MISSED"}
        print(f"hot/cold throughput ratio  {ratio:.2f}  (target ≥ {TARGET_RATIO}: {mark[ratio >= TARGET_RATIO]})")
        print(
            f"hot orders/s               {hot['orders_per_s']:.1f}  "
            f"(target ≥ {TARGET_HOT_ORDERS_PER_S}: {mark[hot['orders_per_s'] >= TARGET_HOT_ORDERS_PER_S]})"
        )
        print(f"check_stock                {'clean' if not discrepancies else f'{len(discrepancies)} discrepancies'}")
        for row in rows:
            for error in row["errors"][:5]:
                print(f"  {row['phase']}: {error}")
        failed = discrepancies or any(r["oversold"] or r["deadlocks"] or r["errors"] for r in rows)
        connections.close_all()
        return 1 if failed else 0
    finally:
        if not opts.keep:
            _pg("dropdb", "--if-exists", "--force", DB_NAME, opts=opts)


if __name__ == "__main__":
    sys.exit(main())
