from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=8)
def send_order_email(order_id: int, kind: str) -> bool:
    from orders.services import send_order_email as send

    return send(order_id=order_id, kind=kind)
