"""The shipped spec (declarations/ceb_spec.json) is exactly what scripts/build_ceb_spec.py derives
from the official XSDs, and it holds every message type of FIELDS.md §1 in both editions."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from silkgate.declarations import spec as S
from silkgate.declarations.messages import MESSAGE_TYPES

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_ceb_spec.py"


def test_spec_is_regenerated_from_the_official_xsds(reference_dir: Path) -> None:
    loader = importlib.util.spec_from_file_location("build_ceb_spec", SCRIPT)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    assert module.build(reference_dir / "ceb" / "xsd") == json.loads(S.SPEC_PATH.read_text(encoding="utf-8"))


def test_every_message_type_in_both_editions() -> None:
    for edition in S.EDITIONS:
        types = {m.message_type for m in S.messages(edition).values()}
        only_202205 = {"CEB213", "CEB214", "CEB215", "CEB216"}
        assert types == set(MESSAGE_TYPES) - (only_202205 if edition == "2018" else set()), edition


def test_rules_captured() -> None:
    m = S.messages("202205")["CEB621Message"]
    assert (m.guid.length, m.version.min_length, m.version.max_length) == (36, 1, 10)
    assert (m.business.name, m.business.min, m.business.max) == ("Inventory", 1, 100)
    inventory = m.business.node
    assert inventory is not None
    lst = inventory.slots[1]
    assert (lst.name, lst.min, lst.max) == ("InventoryList", 1, 99)
    signature = m.node.slots[-1]
    assert (signature.name, signature.kind, signature.min) == ("Signature", S.SIGNATURE, 1)
    head = inventory.slots[0].node
    assert head is not None
    names = [s.name for s in head.slots]
    assert names[:4] == ["guid", "appType", "appTime", "appStatus"]
    freight = head.slots[names.index("freight")].leaf
    assert freight is not None and (freight.base, freight.total_digits, freight.fraction_digits) == (
        S.DECIMAL,
        19,
        5,
    )
    item_no = {e: S.messages(e)["CEB621Message"].business.node.slots[1].node for e in S.EDITIONS}  # type: ignore[union-attr]
    assert item_no["2018"].slots[item_no["2018"].by_name["itemNo"]].leaf.max_length == 30  # type: ignore[union-attr]
    assert item_no["202205"].slots[item_no["202205"].by_name["itemNo"]].leaf.max_length == 20  # type: ignore[union-attr]
    export = S.messages("202205")["CEB303Message"]
    order_slots = [s.name for s in export.node.slots]
    assert order_slots == [
        "Order",
        "BaseTransfer",
        "BaseSubscribe",
        "Signature",
        "ExtendMessage",
    ]  # export order
    assert [s.name for s in m.node.slots] == [
        "Inventory",
        "BaseTransfer",
        "BaseSubscribe",
        "ExtendMessage",
        "Signature",
    ]
