"""Buyer identity check: GB 11643 check digit first, then the registry; loading is all-or-nothing."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from silkgate.clearance.identity import (
    IdentityResult,
    id_number_index,
    load_identities,
    read_identity_csv,
    verify_identity,
)
from silkgate.config import get_settings
from silkgate.demo import synth
from silkgate.exceptions import ValidationFailed
from silkgate.kit.checkdigits import resident_id_check_char
from silkgate.models.clearance import IdentityRecord

rng = random.Random()


def person() -> tuple[str, str]:
    return synth.person_name(rng), synth.resident_id(rng)


def wrong_check_digit(number: str) -> str:
    bad = "0" if number[17] != "0" else "1"
    assert bad != resident_id_check_char(number[:17])
    return number[:17] + bad


def test_a_loaded_person_is_verified(session: Session) -> None:
    name, number = person()
    report = load_identities(session, [{"name": name, "id_number": number}])
    assert (report.added, report.updated, report.unchanged) == (1, 0, 0)
    assert verify_identity(session, name, number).ok
    # full-width or doubled spaces in a name are the same person
    assert verify_identity(session, f" {name[0]}\u3000{name[1:]} ", number.lower()).ok


def test_registry_stores_no_plain_personal_data(session: Session) -> None:
    name, number = person()
    load_identities(session, [{"name": name, "id_number": number}])
    row = session.scalars(
        select(IdentityRecord).where(IdentityRecord.id_index == id_number_index(number))
    ).one()
    stored = f"{row.id_index}{row.name_index}{row.name_enc}"
    assert number not in stored and name not in stored


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda n, i: (n, wrong_check_digit(i)), "id_check_digit"),
        (lambda n, i: (n, i[:17]), "id_length"),
        (lambda n, i: (n, i[:6] + "19991332" + i[14:]), "id_birth_date"),
        (lambda n, i: ("", i), "identity_name_missing"),
    ],
)
def test_malformed_id_or_name_fails_before_the_registry(session: Session, make, code: str) -> None:  # type: ignore[no-untyped-def]
    class Refusing:
        def verify(self, name: str, id_number: str) -> IdentityResult:
            raise AssertionError("the registry must not be asked about a malformed ID number")

    name, number = make(*person())
    result = verify_identity(session, name, number, registry=Refusing())
    assert (result.ok, result.code) == (False, code)


def test_unknown_person_and_wrong_name_are_named(session: Session) -> None:
    name, number = person()
    assert verify_identity(session, name, number).code == "identity_not_found"
    load_identities(session, [{"name": name, "id_number": number}])
    result = verify_identity(session, name + "某", number)
    assert (result.ok, result.code) == (False, "identity_name_mismatch")
    assert name not in result.message and number not in result.message


def test_another_registry_can_stand_in_for_the_local_one(session: Session) -> None:
    class National:
        def verify(self, name: str, id_number: str) -> IdentityResult:
            return IdentityResult(True, "identity_verified", "国家库核验通过")

    name, number = person()
    assert verify_identity(session, name, number, registry=National()).ok


def test_load_is_all_or_nothing_and_names_each_bad_row(session: Session) -> None:
    good = [dict(zip(("name", "id_number"), person(), strict=True)) for _ in range(3)]
    dup_name, dup_id = person()
    rows = [
        *good,
        {"name": "", "id_number": person()[1]},
        {"name": "张三", "id_number": wrong_check_digit(person()[1])},
        {"name": dup_name, "id_number": dup_id},
        {"name": dup_name + "某", "id_number": dup_id},
    ]
    before = session.scalar(select(func.count()).select_from(IdentityRecord))
    with pytest.raises(ValidationFailed) as exc:
        load_identities(session, rows)
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("rows[3].name", "name_missing"),
        ("rows[4].id_number", "id_check_digit"),
        ("rows[6].id_number", "id_duplicate_conflict"),
    ]
    assert session.scalar(select(func.count()).select_from(IdentityRecord)) == before


def test_loading_again_updates_a_changed_name_and_leaves_the_rest(session: Session) -> None:
    (n1, i1), (n2, i2) = person(), person()
    load_identities(session, [{"name": n1, "id_number": i1}, {"name": n2, "id_number": i2}])
    report = load_identities(session, [{"name": n1, "id_number": i1}, {"name": n2 + "某", "id_number": i2}])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert verify_identity(session, n2 + "某", i2).ok and not verify_identity(session, n2, i2).ok


def test_csv_needs_name_and_id_number_columns() -> None:
    assert read_identity_csv("\ufeffname,id_number\n张三,110105199003071234\n") == [
        {"name": "张三", "id_number": "110105199003071234"}
    ]
    with pytest.raises(ValidationFailed) as exc:
        read_identity_csv("姓名,身份证\n张三,1\n")
    assert exc.value.errors[0].code == "csv_columns"


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI commits: give it a database of its own."""
    from silkgate.db import engine_for, make_engine
    from silkgate.models import metadata

    url = f"sqlite:///{tmp_path}/cli.db"
    eng = make_engine(url)
    metadata.create_all(eng)
    eng.dispose()
    monkeypatch.setenv("SILKGATE_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    engine_for(url).dispose()
    get_settings.cache_clear()


def test_cli_identity_load(tmp_path: Path, cli_database: str) -> None:
    import typer

    from silkgate.clearance.cli import register
    from silkgate.db import engine_for

    app = typer.Typer()
    register(app)  # as silkgate.cli does for every domain's cli.py

    people = [person() for _ in range(3)]
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("name,id_number\n" + "".join(f"{n},{i}\n" for n, i in people), encoding="utf-8")
    result = CliRunner().invoke(app, ["identity", "load", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "新增3人" in result.output
    with Session(engine_for(cli_database)) as s:
        assert all(verify_identity(s, n, i).ok for n, i in people)

    bad = tmp_path / "bad.csv"
    bad.write_text(f"name,id_number\n张三,{wrong_check_digit(people[0][1])}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["identity", "load", str(bad)])
    assert result.exit_code == 2
    assert "rows[0].id_number" in result.output and people[0][1] not in result.output
