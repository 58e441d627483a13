"""A real Celery worker process takes a task from the broker and returns its result.

Two brokers: Redis (production and CI, marked ``services``) and kombu's embedded
``filesystem://`` transport that ``make run`` uses on a machine without servers.
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.result import allow_join_result

from config.celery import ping

BASE_DIR = Path(__file__).resolve().parents[2]


@contextmanager
def celery_worker(*, env: dict[str, str], queue: str, log_path: Path) -> Iterator[subprocess.Popen]:
    """Run ``celery -A config worker`` on one queue for the block; always stopped after it."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield worker
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


def worker_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(overrides)
    return env


@pytest.mark.services
@pytest.mark.real_worker
def test_worker_on_redis_runs_a_task_end_to_end(tmp_path):
    # given a worker on a queue of its own, so that no other worker can answer for it
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    with celery_worker(env=worker_env(), queue=queue, log_path=log) as worker:
        # when
        result = ping.apply_async(queue=queue)
        # The test process is no worker, but eager tasks run earlier in it can leave Celery's
        # "inside a task" guard set; say plainly that waiting here is fine.
        with allow_join_result():
            answer = result.get(timeout=60)
        # then
        assert worker.poll() is None, log.read_text()
    assert answer == "pong"
    assert "config.celery.ping" in log.read_text()


@pytest.mark.real_worker
def test_worker_on_the_embedded_filesystem_broker_runs_a_task_end_to_end(tmp_path):
    # given the embedded defaults in a var dir of our own (no DATABASE_URL, no REDIS_URL)
    env = worker_env(BACKROOM_VAR_DIR=str(tmp_path / "var"))
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    log = tmp_path / "worker.log"
    client = (
        "import django; django.setup()\n"
        "from config.celery import app, ping\n"
        "assert app.conf.broker_url == 'filesystem://', app.conf.broker_url\n"
        "print(ping.delay().get(timeout=60))\n"
    )
    with celery_worker(env=env, queue="celery", log_path=log) as worker:
        # when another process enqueues through the same settings
        sent = subprocess.run(
            [sys.executable, "-c", client],
            cwd=BASE_DIR,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        # then
        assert worker.poll() is None, log.read_text()
    assert sent.returncode == 0, sent.stderr + log.read_text()
    assert sent.stdout.strip().splitlines()[-1] == "pong"
    assert "config.celery.ping" in log.read_text()
    assert not list((tmp_path / "var" / "celery" / "queue").iterdir()), "the message stayed in the queue"
