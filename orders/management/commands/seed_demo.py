"""``manage.py seed_demo``: a believable demo store, safe to run again.

Creates the catalogue, channels, price lists, locations with stock, shipping methods, 60
customers, the three role accounts, ``--orders`` orders over the last 90 days in every
state and from every channel, and some storefront carts (abandoned, reminded, recovered). Reference records are found by their natural keys; demo
orders carry ``external_reference="demo-<n>"``, so a second run creates only the orders
that are missing (none, with the same ``--orders``) and changes nothing else.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models.functions import Substr
from django.utils import timezone

from orders.management.demo import data
from orders.management.demo.carts import ensure_demo_carts
from orders.management.demo.planner import Planner
from orders.management.demo.reference import ensure_reference_data
from orders.management.demo.writer import DemoWriter, plan_stock
from orders.models import Order

LOGIN_URL = "http://127.0.0.1:8000/"
PROGRESS_EVERY = 5000


class Command(BaseCommand):
    help = "Fill the database with a demo store (catalogue, stock, customers, orders). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=600, help="How many demo orders in total (default 600).")
        parser.add_argument("--seed", type=int, default=42, help="Seed of the random choices (default 42).")
        parser.add_argument("--batch-size", type=int, default=5000, help="Orders written per transaction.")

    def handle(self, *args, orders: int, seed: int, batch_size: int, **options):
        if orders < 0 or batch_size < 1:
            raise CommandError("--orders must be 0 or more and --batch-size at least 1.")
        started = time.monotonic()
        ref = ensure_reference_data()
        self.stdout.write(
            f"Reference data ready: {len(ref.channels)} channels, {len(ref.variants)} variants, "
            f"{len(ref.private_customers) + len(ref.wholesale_customers)} customers "
            f"({time.monotonic() - started:.1f} s)."
        )

        now = timezone.now()
        planner = Planner(ref=ref, seed=seed, now=now, tz=timezone.get_current_timezone())
        existing = self._existing_demo_indexes()
        stamps = planner.timestamps(orders)
        forced = planner.forced_statuses(stamps)
        missing = [index for index in range(len(stamps)) if index not in existing]
        self.stdout.write(f"{len(existing):,} demo orders exist; planning {len(missing):,} more.")
        plans = []
        for index in missing:
            placed_at, channel = stamps[index]
            plans.append(planner.plan(index, placed_at, channel, status=forced.get(index)))
            if len(plans) % PROGRESS_EVERY == 0:
                self.stdout.write(f"  planned {len(plans):,} / {len(missing):,} · {time.monotonic() - started:.1f} s")
        bookings = plan_stock(ref=ref, plans=plans, batch_size=batch_size, seed=seed, now=now, tz=planner.tz)
        self.stdout.write(f"Writing {len(plans):,} orders in batches of {batch_size:,}.")
        DemoWriter(ref=ref, batch_size=batch_size, report=self.stdout.write, started=started).write(plans, bookings)
        carts = ensure_demo_carts(ref=ref, now=now, seed=seed)
        if carts:
            self.stdout.write(f"Wrote {carts} storefront carts (abandoned, reminded, recovered).")

        self.stdout.write(self.style.SUCCESS(f"Demo store ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"Sign in at {LOGIN_URL}")
        self.stdout.write("  username: owner")
        self.stdout.write(f"  password: {data.DEMO_PASSWORD}")
        self.stdout.write(
            "  (staff and warehouse sign in with the same password; an account that existed before keeps its own.)"
        )

    def _existing_demo_indexes(self) -> set[int]:
        prefix = data.DEMO_REFERENCE_PREFIX
        references = (
            Order.objects.filter(external_reference__startswith=prefix)
            .annotate(n=Substr("external_reference", len(prefix) + 1))
            .values_list("n", flat=True)
        )
        return {int(n) for n in references if n.isdigit()}
