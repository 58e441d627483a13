"""Shipping's background work: thin tasks that fetch by id and call a service."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=8)
def send_shipment_email(shipment_id: int, kind: str) -> bool:
    from shipping.services.emails import send_shipment_email as send

    return send(shipment_id=shipment_id, kind=kind)
