"""The one FastAPI dependency in front of every bank- and insurer-facing route: `RequireGrant`.

It reads `enterprise_id` from the path, works out the slices the route needs (fixed, or from the
financing product of `application_id`), and calls `service.check_grant`, which refuses without an
active grant (404, no existence leak), refuses a grant lacking the slice (403) and audits the read.
"""

from __future__ import annotations

from fastapi import Request

from silkgate.auth import kinds
from silkgate.auth.deps import OptionalPrincipal, SessionDep
from silkgate.exceptions import NotAuthenticated, NotFound, SilkgateError
from silkgate.finance import rules, service
from silkgate.models.finance import FinancingApplication
from silkgate.params import MAX_INT64, DbId


class RequireGrant:
    """`Depends(RequireGrant("fx"))` or `Depends(RequireGrant(for_application=True))`.

    With `soft=True` (HTML pages) the refusal is returned instead of raised, so the page can explain it.
    """

    def __init__(self, *slices: str, for_application: bool = False, soft: bool = False) -> None:
        assert slices or for_application
        self.slices = tuple(slices)
        self.for_application = for_application
        self.soft = soft

    def _slices(self, request: Request, session: SessionDep) -> tuple[str, ...]:
        if not self.for_application:
            return self.slices
        app = session.get(FinancingApplication, _path_id(request, "application_id"))
        product = app.product if app is not None else "order"
        return tuple(dict.fromkeys((*self.slices, *rules.REVIEW_SLICES[product])))

    def __call__(
        self, request: Request, session: SessionDep, principal: OptionalPrincipal, enterprise_id: DbId
    ) -> service.GrantAccess | SilkgateError:
        try:
            if principal is None:
                raise NotAuthenticated()
            principal.require(*kinds.FINANCE_KINDS)  # the role before any look-up
            if "application_id" in request.path_params:
                _path_id(request, "application_id")
            return service.check_grant(
                session,
                principal,
                enterprise_id,
                self._slices(request, session),
                resource="finance." + getattr(request.scope.get("route"), "name", "read"),
                resource_id=request.path_params.get("application_id")
                or request.path_params.get("policy_id")
                or enterprise_id,
                request_path=request.url.path,
                action="read" if request.method in ("GET", "HEAD") else "act",
            )
        except SilkgateError as exc:
            if self.soft:
                return exc
            raise


def _path_id(request: Request, name: str) -> int:
    """A record id from the path, as the route's own (bounded) parameter would take it."""
    raw = str(request.path_params[name])
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_INT64:
        raise NotFound()
    return int(raw)


def granted(access: service.GrantAccess | SilkgateError) -> service.GrantAccess:
    """For API routes (soft=False the dependency already raised): narrow the type."""
    if isinstance(access, SilkgateError):
        raise access
    return access
