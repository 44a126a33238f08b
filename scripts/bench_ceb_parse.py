"""Measure what CEB message validation costs against a bare parse, on the same bytes.

    .venv/bin/python scripts/bench_ceb_parse.py [../shared/reference] [--documents 4]

Takes the official 202205 CEB621 sample cut to N Inventory documents and prints, best of several
rounds in process CPU time: bare `lxml.etree.fromstring` (kit.safexml.bare_parse), the hardened
parse alone (kit.safexml.parse_bytes), and parse_message (hardened parse + edition detection +
every XSD and code-list rule + the documents and the JSON-form body), as messages per second.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from silkgate.declarations.messages import parse_message
from silkgate.kit import safexml

MAX = 10 * 1024 * 1024


def _message(reference: Path, documents: int) -> bytes:
    data = (
        reference / "ceb" / "samples" / "Weasley-J__chinaport-data-signature" / "CEB621Message.xml"
    ).read_bytes()
    parts = data.split(b"<ceb:Inventory>")
    keep = parts[1:documents]
    return parts[0] + b"".join(b"<ceb:Inventory>" + p for p in keep) + b"<ceb:Inventory>" + parts[-1]


def _rate(fn: Callable[[], object], rounds: int = 9, n: int = 300) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n)
    return 1 / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "reference", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared" / "reference")
    )
    ap.add_argument("--documents", type=int, default=4)
    args = ap.parse_args()
    data = _message(Path(args.reference), args.documents)
    assert len(parse_message(data, max_bytes=MAX).documents) == args.documents
    bare = _rate(lambda: safexml.bare_parse(data))
    hardened = _rate(lambda: safexml.parse_bytes(data, MAX))
    full = _rate(lambda: parse_message(data, max_bytes=MAX))
    print(f"CEB621 with {args.documents} documents, {len(data)} bytes")
    print(f"bare lxml parse        {bare:8.0f} msg/s  {1e6 / bare:7.0f} us")
    print(f"hardened parse         {hardened:8.0f} msg/s  {1e6 / hardened:7.0f} us")
    print(f"parse_message (all)    {full:8.0f} msg/s  {1e6 / full:7.0f} us  ratio to bare {full / bare:.2f}")


if __name__ == "__main__":
    main()
