# The browser fixtures of tests/e2e, shared here so the shipping journey lives with its app.
from tests.e2e.conftest import _plain_http_live_server, browser, page  # noqa: F401
