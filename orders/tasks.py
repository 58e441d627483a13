from smtplib import SMTPException

from celery import shared_task


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=8)
def send_order_email(order_id: int, kind: str) -> bool:
    from orders.services import send_order_email as send

    return send(order_id=order_id, kind=kind)


@shared_task
def send_due_order_emails() -> int:
    """Beat: publish again the order e-mails due but never sent (the broker was down at commit)."""
    from orders.services.emails import send_due_order_emails as send_due

    return send_due()


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_cart_alert(cart_id: int) -> bool:
    from orders.services import send_cart_alert as send

    return send(cart_id=cart_id)


@shared_task
def send_cart_reminders() -> int:
    """Beat, every 5 minutes: send the reminders that are due; returns how many went out.

    Each cart's reminder is its own transaction and is claimed in the database before it is
    sent, so this task running twice, or on two workers at once, sends each reminder once. A
    cart whose send fails is left unclaimed and is tried again on the next run (no long
    countdowns, which Redis would redeliver after its visibility timeout).
    """
    import logging

    from orders.selectors.carts import list_carts_due_for_reminder
    from orders.services import send_cart_reminder

    sent = 0
    for cart_id, number in list_carts_due_for_reminder():
        try:
            sent += bool(send_cart_reminder(cart_id=cart_id, number=number))
        except Exception:  # one cart's failure (SMTP, a refused incentive) must not stop the others
            logging.getLogger(__name__).exception("cart %s: reminder %s not sent, next run retries", cart_id, number)
    return sent


@shared_task
def purge_idempotency_keys() -> int:
    """Beat, daily: forget API Idempotency-Key records older than the keeping window (>= 24 h)."""
    from orders.services.idempotency import purge_idempotency_keys as purge

    return purge()


@shared_task
def warm_dashboard() -> int:
    """Beat, every 10 minutes: sum the dashboard's closed days into the cache before anyone asks.

    A load finds them cached anyway unless the cache was emptied or a day's entry reached the
    end of its life; this keeps those rare slow loads off the owner's screen.
    """
    from orders.selectors import warm_dashboard_sums

    return warm_dashboard_sums()
