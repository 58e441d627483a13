"""Schemathesis fuzzes the running API from its own OpenAPI schema: no 5xx, answers match the schema.

The server is Django's live-server thread (a real HTTP server on loopback over the test
database), started inside the test so that it sees the test settings (no HTTPS redirect);
schemathesis runs as its CLI against ``/api/schema/`` with an Owner's token, so
every endpoint is reached with permission and the refusals are the API's own 4xx.
Not marked ``services``: it runs in both CI passes (SQLite, then PostgreSQL).

By default the fuzzing phase only, 30 cases per operation, so that it stays under two
minutes; ``API_FUZZ_PHASES=coverage,fuzzing API_FUZZ_EXAMPLES=100`` runs the thorough sweep
(about three minutes on a laptop, also clean).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from rest_framework.authtoken.models import Token

from tests.orders.factories import UserFactory

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture
def api_server(transactional_db):
    thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=30)
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(shop, api_server, tmp_path):
    # given a token with every permission, and a shop with stock
    token = Token.objects.create(user=UserFactory(username="fuzzer", role="Owner"))
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    # when
    result = subprocess.run(
        [
            cli,
            "run",
            f"{api_server}/api/schema/",
            "--url",
            api_server,
            "-H",
            f"Authorization: Token {token.key}",
            "--checks",
            CHECKS,
            "--phases",
            os.environ.get("API_FUZZ_PHASES", "fuzzing"),
            "--max-examples",
            os.environ.get("API_FUZZ_EXAMPLES", "30"),
            "--seed",
            "8104",
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
            "--no-color",
            "--suppress-health-check",
            "all",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    # then
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
