"""The domain layer's imports point one way: catalog <- inventory <- orders <- billing, shipping.

Web modules (views, forms, filters, admin, urls, management commands) sit on top and may use
any app; models, services, selectors and tasks may not import an app above their own.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RANK = {"catalog": 0, "inventory": 1, "orders": 2, "billing": 3, "shipping": 3}
# Everything in an app is domain code except the web layer and Django's plumbing, so a new
# module (catalog/webhooks/services.py, inventory/low_stock.py) is checked without listing it.
WEB = {"views", "forms", "filters", "admin", "urls", "api", "management", "migrations", "templatetags", "apps"}
# A flow that spans both top apps lives in the one that composes them (DESIGN: the highest app
# it touches); shipping's counter sale takes billing's payment in the same transaction.
ALLOWED = {("shipping", "billing")}


def _is_web(path: Path, app: str) -> bool:
    parts = path.relative_to(ROOT / app).with_suffix("").parts
    return parts[-1] == "context_processors" or any(
        part in WEB or part.startswith(("views_", "forms_", "urls_")) for part in parts
    )


def _domain_files(app: str) -> list[Path]:
    return [path for path in sorted((ROOT / app).rglob("*.py")) if not _is_web(path, app)]


def _imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {name.split(".")[0] for name in names if name.split(".")[0] in RANK}
    return found


@pytest.mark.parametrize("app", list(RANK))
def test_domain_code_never_imports_a_higher_or_sibling_app(app):
    offenders = [
        f"{path.relative_to(ROOT)} imports {other}"
        for path in _domain_files(app)
        for other in _imported_apps(path)
        if other != app and RANK[other] >= RANK[app] and (app, other) not in ALLOWED
    ]
    assert offenders == []
