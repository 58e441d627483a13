"""The Celery application, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("backroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.celery.ping", ignore_result=False)
def ping() -> str:
    """Answer "pong" from a worker: proves broker, worker and result backend are wired up.

    Touches no database, so a worker started with any settings can answer it; the
    integration tests and an operator (`celery -A config call config.celery.ping`) use it.
    """
    return "pong"
