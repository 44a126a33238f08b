"""`silkgate --help` and the help of every command start without the web app: importing FastAPI,
the routers and every model cost the CLI about 1.5-3 s per call (issue 13). The figures are in
docs/cli.md; this test pins the cause, not a time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("fastapi", "starlette", "silkgate.app", "silkgate.models", "sqlalchemy", "alembic")

_PROBE = """
import json, sys
from silkgate.cli import app
try:
    app(sys.argv[1:], prog_name="silkgate")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"fastapi", "starlette", "sqlalchemy", "alembic"} or m.startswith(("silkgate.app", "silkgate.models")))), file=sys.stderr)
"""


def _modules_after(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    last = done.stderr.strip().splitlines()[-1]
    return [m for m in json.loads(last) if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def test_silkgate_help_imports_neither_the_web_app_nor_the_database_layer() -> None:
    assert _modules_after("--help") == []


@pytest.mark.parametrize(
    "command",
    [
        ["load", "--help"],
        ["ingest", "--help"],
        ["tariff", "show", "--help"],
        ["stats", "report", "--help"],
        ["finance", "import-settlements", "--help"],
        ["logistics", "import-tracking", "--help"],
        ["tax", "quote", "--help"],
        ["identity", "load", "--help"],
        ["bench", "ingest", "--help"],
    ],
)
def test_a_commands_help_does_not_import_the_web_app(command: list[str]) -> None:
    assert _modules_after(*command) == []
