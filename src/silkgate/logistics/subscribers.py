"""Logistics listens for returns: a returned list is routed to the zone's returns warehouse."""

from __future__ import annotations

from silkgate.events import subscribe
from silkgate.logistics.service import on_returned

subscribe("returned", on_returned)
