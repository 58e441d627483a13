"""Publishing work after commit when a lost publish loses nothing.

Every e-mail, PDF and webhook is published to the broker with ``transaction.on_commit``. A
plain callback that raises (the broker cannot be reached: Redis restarting) raises after the
commit, so the person gets an error page for a payment or an order that was recorded. Where
the work is also kept due in the database and a beat task picks it up (an invoice e-mail's
``email_queued_at``, a webhook delivery's ``next_attempt_at``), the publish is made robust
here: a failure is logged and the caller's committed work stands.
"""

from functools import partial

from django.db import transaction


def on_commit_or_log(func, /, *args, **kwargs) -> None:
    """Call ``func(*args, **kwargs)`` after the transaction commits; if it raises, log it and go on.

    Only for work a beat task re-sends from the database: elsewhere a failed publish would be lost.
    """
    call = partial(func, *args, **kwargs)
    # Django names a failed robust callback by its __qualname__, which a partial lacks.
    task = getattr(func, "__self__", None)
    call.__qualname__ = f"{task.name}.{func.__name__}" if hasattr(task, "name") else func.__qualname__
    transaction.on_commit(call, robust=True)
