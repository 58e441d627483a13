"""Delete API Idempotency-Key records older than API_IDEMPOTENCY_KEEP_HOURS (at least 24 h)."""

from django.core.management.base import BaseCommand

from orders.services.idempotency import purge_idempotency_keys


class Command(BaseCommand):
    help = "Delete API Idempotency-Key records older than the keeping window (API_IDEMPOTENCY_KEEP_HOURS, >= 24 h)."

    def handle(self, *args, **options):
        deleted = purge_idempotency_keys()
        self.stdout.write(f"Deleted {deleted} idempotency key(s).")
