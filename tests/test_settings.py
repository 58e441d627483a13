"""Settings are parsed from the environment: each case runs Django in a fresh process.

The settings module is evaluated once per process, so the only honest way to test what a
given environment produces is to start Python with exactly that environment.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "db_engine": db["ENGINE"],
    "db_name": str(db["NAME"]),
    "db_host": db.get("HOST", ""),
    "db_options": db.get("OPTIONS", {}),
    "cache_backend": settings.CACHES["default"]["BACKEND"],
    "cache_location": str(settings.CACHES["default"].get("LOCATION", "")),
    "broker_url": app.conf.broker_url,
    "result_backend": app.conf.result_backend,
    "email_backend": settings.EMAIL_BACKEND,
    "email_file_path": getattr(settings, "EMAIL_FILE_PATH", None),
    "email_host": getattr(settings, "EMAIL_HOST", None),
    "email_port": getattr(settings, "EMAIL_PORT", None),
    "debug": settings.DEBUG,
}))
"""


def run_django(tmp_path: Path, code: str = PRINT_SETTINGS, **env: str) -> subprocess.CompletedProcess:
    """Start Python with only the given variables (plus PATH) and the var dir in tmp_path."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "BACKROOM_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def settings_for(tmp_path: Path, **env: str) -> dict:
    result = run_django(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    # given DEBUG off and no SECRET_KEY
    # when
    result = run_django(tmp_path, DEBUG="0")
    # then
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_on_without_secret_key_starts(tmp_path):
    # given / when
    values = settings_for(tmp_path, DEBUG="1")
    # then
    assert values["debug"] is True


@pytest.mark.parametrize("currency", ["EURO", "E1", "12€"])
def test_bad_store_currency_is_refused_with_a_clear_message(tmp_path, currency):
    # given / when
    result = run_django(tmp_path, SECRET_KEY=SECRET, STORE_CURRENCY=currency)
    # then
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "STORE_CURRENCY must be a three-letter ISO 4217 code" in result.stderr


def test_postgres_database_url_selects_the_postgresql_engine(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET, DATABASE_URL="postgres://shop:pw@db.example:5432/backroom")
    # then
    assert values["db_engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "backroom"
    assert values["db_host"] == "db.example"
    assert "transaction_mode" not in values["db_options"]


def test_default_database_is_sqlite_in_wal_mode_with_immediate_transactions(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET)
    # then
    assert values["db_engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path / "var" / "backroom.sqlite3")
    assert values["db_options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in values["db_options"]["init_command"]


def test_sqlite_really_runs_in_wal_mode(tmp_path):
    # given the default database
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
    )
    # when
    result = run_django(tmp_path, code, SECRET_KEY=SECRET)
    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_redis_url_moves_broker_results_and_cache_to_redis(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET, REDIS_URL="redis://cache.example:6379/2")
    # then
    assert values["broker_url"] == "redis://cache.example:6379/2"
    assert values["result_backend"] == "redis://cache.example:6379/2"
    assert values["cache_backend"] == "django.core.cache.backends.redis.RedisCache"


def test_without_redis_url_celery_and_cache_use_the_filesystem(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET)
    # then
    assert values["broker_url"] == "filesystem://"
    assert values["result_backend"] == f"file://{tmp_path / 'var' / 'celery' / 'results'}"
    assert values["cache_backend"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert values["cache_location"] == str(tmp_path / "var" / "cache")
    assert (tmp_path / "var" / "celery" / "queue").is_dir()


def test_email_url_selects_smtp(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET, EMAIL_URL="smtp://user:pw@mail.example:2525")
    # then
    assert values["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["email_host"] == "mail.example"
    assert values["email_port"] == 2525


def test_default_email_is_written_to_files_under_var_mail(tmp_path):
    # given / when
    values = settings_for(tmp_path, SECRET_KEY=SECRET)
    # then
    assert values["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["email_file_path"] == str(tmp_path / "var" / "mail")
