"""`silkgate bench ingest` (import mix): the figures the issue names, and that the run really went
through the pipeline (lists decided, every sender answered). No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from silkgate.declarations.bench import bench_ingest


def test_bench_import_prints_the_figures_of_a_real_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench_ingest(
        transactions=40, database_url=f"sqlite:///{tmp_path / 'bench.db'}", as_json=True, mix="import", seed=7
    )
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in (
        "bare_parse_msgs_per_s",
        "end_to_end_msgs_per_s",
        "ratio",
        "peak_rss_mb",
        "parse_validate_msgs_per_s",
    ):
        assert isinstance(figures[key], int | float) and figures[key] > 0, key
    assert figures["messages"] == 160  # order, payment, waybill and list of each transaction
    assert figures["ratio"] == pytest.approx(
        figures["end_to_end_msgs_per_s"] / figures["bare_parse_msgs_per_s"], abs=1e-3
    )
    lists = figures["lists"]
    assert sum(lists.values()) == 40 and lists.get("released", 0) > 0
    answered = figures["receipts_to_senders"]
    for message_type in ("CEB311", "CEB411", "CEB511", "CEB621"):
        assert sum(n for k, n in answered.items() if k.startswith(message_type + ":")) >= 40, message_type
