"""A production-like environment passes Django's deployment checklist without a warning."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def run_manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "BACKROOM_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_variables(tmp_path):
    # given the variables a production deployment sets
    env = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "shop.example.com"}
    # when
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_about_a_weak_secret_key(tmp_path):
    # given a short, guessable key: the check must be able to fail
    env = {"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "shop.example.com"}
    # when
    result = run_manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    # then
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
