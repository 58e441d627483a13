"""Project-wide test setup: fast settings, eager Celery, and the ``services`` marker.

Tests marked ``services`` need PostgreSQL (``DATABASE_URL=postgres://…``) and Redis
(``REDIS_URL``). Without them they are skipped, so ``make test`` passes on a laptop with
the embedded defaults; with ``--require-services`` (or ``REQUIRE_SERVICES=1``), as `.ci/run`
passes in its second round, a missing service fails them instead, so CI cannot go green
while silently skipping the tests that matter most for concurrency.

Tests marked ``real_worker`` start a Celery worker process and send it real messages, so
the autouse fixture leaves Celery's eager mode off for them.
"""

import os

import pytest
from django.conf import settings as django_settings

from config.celery import app as celery_app


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-services",
        action="store_true",
        default=False,
        help="Fail, rather than skip, tests marked 'services' when PostgreSQL or Redis is not configured "
        "(also REQUIRE_SERVICES=1).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_worker: starts a real Celery worker; Celery's eager mode stays off for the test"
    )


def _services_require() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes", "on"}


def missing_services() -> list[str]:
    """What a ``services`` test lacks in this configuration; empty when it can run."""
    missing = []
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("DATABASE_URL is not PostgreSQL")
    if not getattr(django_settings, "REDIS_URL", ""):
        missing.append("REDIS_URL is not set")
    return missing


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("services") is None:
        return
    missing = missing_services()
    if not missing:
        return
    reason = "needs PostgreSQL and Redis: " + ", ".join(missing)
    if item.config.getoption("--require-services") or _services_require():
        pytest.fail(f"{reason} (services are required in this run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_test_settings(settings, tmp_path):
    """Speed-ups and isolation for every test (cookiecutter-django's pattern)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # WhiteNoise warns on every request when STATIC_ROOT does not exist (no collectstatic in tests).
    settings.STATIC_ROOT = str(tmp_path / "staticfiles")
    (tmp_path / "staticfiles").mkdir()
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.AXES_ENABLED = False
    # What is cached across requests (the store name, the dashboard's closed days) was read from
    # rows a rolled-back test saved: it must not outlive them. Only these keys: in the services
    # pass the cache shares its Redis database with the broker of a running worker.
    _forget_cached_rows()
    yield
    _forget_cached_rows()


def _forget_cached_rows() -> None:
    from django.core.cache import cache

    from catalog.models import STORE_NAME_CACHE_KEY
    from orders.selectors.dashboard_closed import forget_closed_days

    cache.delete(STORE_NAME_CACHE_KEY)
    forget_closed_days()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Run tasks in-process: the Celery app read its settings once, so the settings
    fixture alone does not reach it. Tests that talk to a real worker opt out."""
    if request.node.get_closest_marker("real_worker") is not None:
        previous = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = False
        yield
        celery_app.conf.task_always_eager = previous
        return
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    # An eager result is read with .get(); a worker started in this process by an earlier test
    # (tests/integration, services pass) leaves Celery's "joining would block" flag set behind it.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def private_cache(settings):
    """A cache of the test's own (local memory), for code that keeps marks in the cache (the
    beat's ``republish``): the shared cache outlives the rows, and pks come round again."""
    import uuid

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
