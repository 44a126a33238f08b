"""Buyer identity check (个人身份信息核查): name + resident ID number must belong to one person.

The check digit (GB 11643-1999) is checked first, then an identity registry behind the
`IdentityRegistry` interface, which a national verification service can implement. The default is
`LocalIdentityRegistry`: a table the zone loads (`silkgate identity load FILE.csv`), holding only a
keyed SM3 blind index of each ID number and the SM4-encrypted name. Nothing personal is logged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from silkgate.config import get_settings
from silkgate.exceptions import FieldError, ValidationFailed
from silkgate.kit.checkdigits import resident_id_problems
from silkgate.kit.crypto import field_cipher
from silkgate.models.clearance import IdentityRecord

ID_INDEX_KIND = "id_number"  # the blind-index kind shared with the quota and declarations
NAME_INDEX_KIND = "identity_name"
NAME_MAX = 60  # CEB buyerName maxLength


@dataclass(frozen=True)
class IdentityResult:
    ok: bool
    code: str
    message: str


VERIFIED = IdentityResult(True, "identity_verified", "订购人身份信息核验通过")


class IdentityRegistry(Protocol):
    """What the platform asks of an identity registry: does this name go with this ID number?

    Called only with an ID number whose check digit is already valid."""

    def verify(self, name: str, id_number: str) -> IdentityResult: ...


def id_number_index(id_number: str) -> str:
    """The keyed SM3 blind index of a resident ID number (the key of the annual quota as well)."""
    return field_cipher(get_settings().data_key).blind_index(ID_INDEX_KIND, id_number)


def _name_index(name: str) -> str:
    return field_cipher(get_settings().data_key).blind_index(NAME_INDEX_KIND, _normalise_name(name))


def _normalise_name(name: str) -> str:
    # Names in CEB messages sometimes carry full-width or doubled spaces; the person is the same.
    return "".join(name.replace("\u3000", " ").split())


class LocalIdentityRegistry:
    """The identity registry kept in this platform's database (identity_records)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def verify(self, name: str, id_number: str) -> IdentityResult:
        record = self._session.scalars(
            select(IdentityRecord).where(IdentityRecord.id_index == id_number_index(id_number))
        ).one_or_none()
        if record is None:
            return IdentityResult(
                False, "identity_not_found", "订购人身份证件号码在身份信息核查库中不存在，身份核验未通过"
            )
        if record.name_index != _name_index(name):
            return IdentityResult(
                False, "identity_name_mismatch", "订购人姓名与身份证件号码不匹配，身份核验未通过"
            )
        return VERIFIED


def verify_identity(
    session: Session, name: str, id_number: str, *, registry: IdentityRegistry | None = None
) -> IdentityResult:
    """GB 11643 check digit first, then the registry (the local one unless another is given)."""
    number = id_number.strip().upper()
    if not _normalise_name(name):
        return IdentityResult(False, "identity_name_missing", "订购人姓名为空，身份核验未通过")
    problems = resident_id_problems(number)
    if problems:
        code, message = problems[0]
        return IdentityResult(False, code, f"订购人身份证件号码不符合GB 11643：{message}")
    return (registry or LocalIdentityRegistry(session)).verify(name, number)


@dataclass(frozen=True)
class LoadReport:
    added: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        return f"身份信息核查库：新增{self.added}人，更新{self.updated}人，未变{self.unchanged}人"


def load_identities(session: Session, rows: Iterable[Mapping[str, Any]], *, source: str = "") -> LoadReport:
    """Add or update people in the local registry. Every row is checked first; one bad row and
    nothing is written (ValidationFailed names each row and field: `rows[3].id_number`)."""
    checked: dict[str, tuple[str, str]] = {}  # id index -> (name, row label)
    errors: list[FieldError] = []
    for n, row in enumerate(rows):
        name = _normalise_name(str(row.get("name") or ""))
        number = str(row.get("id_number") or "").strip().upper()
        bad = False
        if not name:
            errors.append(FieldError(f"rows[{n}].name", "name_missing", "姓名不能为空"))
            bad = True
        elif len(name) > NAME_MAX:
            errors.append(FieldError(f"rows[{n}].name", "name_too_long", f"姓名不能超过{NAME_MAX}个字符"))
            bad = True
        if not number:
            errors.append(FieldError(f"rows[{n}].id_number", "id_missing", "身份证件号码不能为空"))
            continue
        for code, message in resident_id_problems(number):
            errors.append(FieldError(f"rows[{n}].id_number", code, message))
            bad = True
        if bad:
            continue
        index = id_number_index(number)
        earlier = checked.get(index)
        if earlier is not None and _name_index(earlier[0]) != _name_index(name):
            errors.append(
                FieldError(
                    f"rows[{n}].id_number",
                    "id_duplicate_conflict",
                    f"与第{int(earlier[1]) + 1}条记录（rows[{earlier[1]}]）的身份证件号码相同但姓名不同",
                )
            )
            continue
        checked[index] = (name, str(n))
    if errors:
        raise ValidationFailed(errors, "身份信息文件未通过校验，未导入任何记录")
    cipher = field_cipher(get_settings().data_key)
    existing = {
        r.id_index: r
        for r in session.scalars(select(IdentityRecord).where(IdentityRecord.id_index.in_(list(checked))))
    }
    added = updated = unchanged = 0
    for index, (name, _row) in checked.items():
        record = existing.get(index)
        name_idx = _name_index(name)
        if record is None:
            session.add(
                IdentityRecord(
                    id_index=index, name_index=name_idx, name_enc=cipher.encrypt(name), source=source
                )
            )
            added += 1
        elif record.name_index != name_idx:
            record.name_index = name_idx
            record.name_enc = cipher.encrypt(name)
            record.source = source
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return LoadReport(added=added, updated=updated, unchanged=unchanged)


def read_identity_csv(text: str) -> list[dict[str, str]]:
    """Rows of a `name,id_number` CSV (UTF-8, a header line; a BOM from Excel is fine)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    missing = [c for c in ("name", "id_number") if c not in fields]
    if missing:
        raise ValidationFailed(
            [FieldError("header", "csv_columns", f"CSV 缺少列：{', '.join(missing)}（应为 name,id_number）")],
            "身份信息文件格式不正确",
        )
    return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader]
