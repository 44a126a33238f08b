"""Which demo steps have been loaded into which zone, so that loading twice is harmless."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from silkgate.models.base import Base, Timestamp


class DemoLoad(Base):
    __tablename__ = "demo_loads"

    zone_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    step: Mapped[str] = mapped_column(String(40), primary_key=True)
    loaded_at: Mapped[Timestamp]
