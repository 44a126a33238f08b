"""Who is asking: the organisation behind an API key or a logged-in user, and what it may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from silkgate.auth import kinds
from silkgate.exceptions import Forbidden


@dataclass(frozen=True)
class Principal:
    org_id: int
    org_kind: str
    org_name: str
    zone_code: str | None
    user_id: int | None = None
    username: str | None = None
    enterprise_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    via: str = "api_key"  # api_key | session

    @property
    def is_zone_office(self) -> bool:
        return self.org_kind == kinds.ZONE_OFFICE

    @property
    def is_enterprise(self) -> bool:
        return self.org_kind == kinds.ENTERPRISE

    @property
    def is_agency(self) -> bool:
        return self.org_kind in kinds.AGENCY_KINDS

    @property
    def is_audited(self) -> bool:
        return self.org_kind in kinds.AUDITED_KINDS

    @property
    def kind_label(self) -> str:
        return kinds.KIND_LABELS.get(self.org_kind, self.org_kind)

    def require(self, *allowed_kinds: str) -> None:
        if self.org_kind not in allowed_kinds:
            raise Forbidden()

    def require_zone_office(self) -> None:
        self.require(kinds.ZONE_OFFICE)

    def sees_zone(self, zone_code: str | None) -> bool:
        """Zone-wide readers (zone office, agencies) see their own zone only."""
        return zone_code is not None and zone_code == self.zone_code
