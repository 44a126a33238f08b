"""The API keeps its own OpenAPI contract under generated input (schemathesis over every operation,
as the zone office and as a seller, against `silkgate serve` on SQLite and PostgreSQL): no 5xx, no
status code the document does not list, every response in its documented schema."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from conftest import ARTIFACTS, build_schema, seed_reference_data
from serving_support import fresh_database, serve
from silkgate.auth.service import create_api_key, create_organisation
from silkgate.db import make_engine
from silkgate.declarations.service import ingest
from silkgate.declarations.synthetic import TransactionFactory, transaction_messages
from silkgate.declarations.trading import new_trade, register_buyers, stock_in_bonded

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
EXAMPLES = 8


def _zone(url: str) -> dict[str, str]:
    """A filed trade with a few declared transactions, and an API key per role under test."""
    build_schema(url)
    engine = make_engine(url)
    seed_reference_data(engine)
    with Session(engine) as s:
        setup = new_trade(s, "140800", random.Random(3), sellers=2)
        stock_in_bonded(s, setup, "140800", quantity=Decimal("1000"))
        factory = TransactionFactory(random.Random(4), setup.parties, buyers=10)
        txs = [factory.make() for _ in range(12)]
        register_buyers(s, txs)
        for tx in txs:
            for data in transaction_messages(tx).values():
                ingest(s, data)
        office = create_organisation(
            s, kind="zone_office", name="运城综试办（接口契约测试）", zone_code="140800"
        )
        keys = {
            "zone_office": create_api_key(s, office.id, "schemathesis"),
            "seller": create_api_key(s, setup.enterprise(setup.parties.sellers[0]).org_id, "schemathesis"),
        }
        s.commit()
    engine.dispose()
    return keys


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, dict[str, str], list[str]]]:
    for url in fresh_database(request.param):
        keys = _zone(url)
        with serve(url, workers=1) as (base, log):
            yield request.param, base, keys, log


@pytest.mark.parametrize("role", ["zone_office", "seller"])
def test_every_operation_keeps_its_contract(
    served: tuple[str, str, dict[str, str], list[str]], role: str
) -> None:
    backend, base, keys, log = served
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{base}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {keys[role]}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--phases",
            "examples,fuzzing",
            # one worker: Hypothesis's lambda-source introspection is not thread-safe on 3.11
            # ("AST constructor recursion depth mismatch" under two workers)
            "--workers",
            "1",
            "--seed",
            "20261208",
            "--request-timeout",
            "30",
            "--suppress-health-check",
            "all",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = ARTIFACTS / f"schemathesis-{backend}-{role}.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(run.stdout + run.stderr, encoding="utf-8")
    failures = [
        line for line in run.stdout.splitlines() if line.startswith(("___", "- ", "    curl", "[", "❌"))
    ]
    server_errors = [line for line in log if "unhandled" in line or "Traceback" in line]
    assert run.returncode == 0, "\n".join(failures[:80] + server_errors[:20]) + f"\n(full report: {report})"
