"""Shipping's background work: thin tasks that fetch by id and call a service."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=8)
def send_shipment_email(shipment_id: int, kind: str) -> bool:
    from shipping.services.emails import send_shipment_email as send

    return send(shipment_id=shipment_id, kind=kind)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def hand_off_shipment(shipment_id: int) -> bool:
    """POST a shipment to its webhook carrier; network errors retry with backoff (urllib errors are OSErrors)."""
    from shipping.services.handoff import hand_off_shipment as hand_off

    return hand_off(shipment_id=shipment_id)


@shared_task
def write_daily_manifests() -> list[str]:
    from shipping.services.handoff import write_daily_manifests as write

    return write()


@shared_task
def run_order_import(job_id: int) -> int | None:
    """Place the orders of an uploaded CSV, one transaction each; a repeat finds the job taken and does nothing."""
    from shipping.services.order_import import run_order_import as run

    job = run(job_id=job_id)
    return job.done if job else None


@shared_task
def publish_due_shipping_work() -> dict:
    """Beat: publish again what a broker down at commit lost — shipment e-mails, carrier
    hand-offs, queued order imports; each task is safe to run twice."""
    from shipping.services.emails import send_due_shipment_emails
    from shipping.services.handoff import hand_off_due_shipments
    from shipping.services.order_import import requeue_lost_order_imports

    return {
        "emails": send_due_shipment_emails(),
        "handoffs": hand_off_due_shipments(),
        "imports": requeue_lost_order_imports(),
    }
