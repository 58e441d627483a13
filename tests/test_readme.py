"""The README's order diagram is drawn from ORDER_TRANSITIONS; this keeps the two in step."""

import re
from pathlib import Path

from orders.models import ORDER_TRANSITIONS

README = Path(__file__).resolve().parent.parent / "README.md"
EDGE = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)")


def mermaid_edges(text: str) -> set[tuple[str, str]]:
    """``A --> B`` edges of the README's mermaid blocks, without the start and end markers."""
    blocks = re.findall(r"```mermaid\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "README.md has no ```mermaid block"
    edges = set()
    for block in blocks:
        for line in block.splitlines():
            match = EDGE.match(line)
            if match and "[*]" not in match.groups():
                edges.add(match.groups())
    return edges


def test_readme_state_diagram_matches_order_transitions():
    # given
    table = {(str(old), str(new)) for old, targets in ORDER_TRANSITIONS.items() for new in targets}
    # when
    drawn = mermaid_edges(README.read_text(encoding="utf-8"))
    # then
    assert drawn == table, f"missing from README: {table - drawn}; not allowed by the code: {drawn - table}"


def test_edge_parser_reads_labels_and_ignores_start_and_end():
    # given
    text = "```mermaid\nstateDiagram-v2\n  [*] --> draft\n  draft --> placed: place\n  placed --> [*]\n```\n"
    # when / then
    assert mermaid_edges(text) == {("draft", "placed")}


def settings_variables() -> set[str]:
    """Names of the environment variables that config/settings.py reads."""
    source = (README.parent / "config" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source)) | set(
        re.findall(r"Env\(\)\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    )


def test_every_settings_variable_is_documented_in_readme_and_env_example():
    # given
    variables = settings_variables()
    readme = README.read_text(encoding="utf-8")
    example = (README.parent / ".env.example").read_text(encoding="utf-8")
    # when
    missing_in_readme = {name for name in variables if f"`{name}`" not in readme}
    missing_in_example = {name for name in variables if not re.search(rf"^#? ?{name}=", example, flags=re.MULTILINE)}
    # then
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BACKROOM_VAR_DIR"} <= variables
    assert not missing_in_readme, f"README.md's configuration table lacks {sorted(missing_in_readme)}"
    assert not missing_in_example, f".env.example lacks {sorted(missing_in_example)}"
