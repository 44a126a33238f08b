"""SQLAlchemy tables, one module per domain. Importing this package registers every table."""

from __future__ import annotations

import importlib
import pkgutil

from silkgate.models.base import Base

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name != "base":
        importlib.import_module(f"{__name__}.{_mod.name}")

metadata = Base.metadata

__all__ = ["Base", "metadata"]
