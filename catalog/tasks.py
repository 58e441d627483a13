"""Celery tasks of the catalogue: sending outgoing webhooks.

Thin and safe to run twice: a delivery's attempt is claimed with a guarded UPDATE in
``catalog.webhooks.services.send_webhook_delivery``, so a task that runs again (or the beat
task picking the same delivery) sends nothing twice for the same attempt.
"""

from celery import shared_task


@shared_task
def send_webhook_delivery(*, delivery_id: int) -> str | None:
    """The first attempt of a delivery, enqueued after the emitting transaction commits."""
    from catalog.webhooks.services import send_webhook_delivery as send

    return send(delivery_id=delivery_id)


@shared_task
def send_due_webhook_deliveries() -> int:
    """Every minute (beat): give up deliveries older than a day, enqueue the ones due for another attempt."""
    from catalog.webhooks.services import give_up_stale_webhook_deliveries, list_due_webhook_deliveries

    give_up_stale_webhook_deliveries()
    due = list_due_webhook_deliveries()
    for delivery_id in due:
        send_webhook_delivery.delay(delivery_id=delivery_id)
    return len(due)
