"""Publishing work after commit when a lost publish loses nothing.

Every e-mail, PDF and webhook is published to the broker with ``transaction.on_commit``. A
plain callback that raises (the broker cannot be reached: Redis restarting) raises after the
commit, so the person gets an error page for a payment or an order that was recorded. Where
the work is also kept due in the database and a beat task picks it up (an invoice e-mail's
``email_queued_at``, a webhook delivery's ``next_attempt_at``, an order or shipment e-mail
without its ``email_sent`` timeline row, a queued job, a shipment not yet handed to its carrier),
the publish is made robust here: a failure is logged and the caller's committed work stands.
"""

from datetime import timedelta
from functools import partial

from django.core.cache import cache
from django.db import transaction


def on_commit_or_log(func, /, *args, **kwargs) -> None:
    """Call ``func(*args, **kwargs)`` after the transaction commits; if it raises, log it and go on.

    For work a beat task re-sends from the database; elsewhere a failed publish is lost (the
    owner's cart alert, which is only a heads-up, accepts that).
    """
    call = partial(func, *args, **kwargs)
    # Django names a failed robust callback by its __qualname__, which a partial lacks.
    task = getattr(func, "__self__", None)
    name = getattr(func, "__qualname__", repr(func))  # a test's mock has none
    call.__qualname__ = f"{task.name}.{func.__name__}" if hasattr(task, "name") else name
    transaction.on_commit(call, robust=True)


# A due item the beat re-published is not re-published again for this long: a task still
# waiting behind a busy queue, or retrying with backoff, is not joined by a second one each run.
REPUBLISH_EVERY = timedelta(minutes=30)


def republish(func, /, *, key: str, **kwargs) -> bool:
    """Beat: call ``func(**kwargs)`` (a task's ``delay``) for a due item named ``key``, at most
    once per ``REPUBLISH_EVERY``; returns whether it published. The task itself must be safe
    to run twice (its "done" mark checked under a lock), as the first publish may have got through."""
    if not cache.add(f"republished:{key}", 1, timeout=int(REPUBLISH_EVERY.total_seconds())):
        return False
    func(**kwargs)
    return True
