"""Every main page, as every demo role sees it, in Debian's chromium: a screenshot of each
(tests/artifacts/pages/), and the page checked for what a zone official trips over (issue 13) and
for accessibility (issue 18: GB/T 37668-2019, which follows WCAG 2.1 AA), with axe-core.

The pages come from the navigation itself (`silkgate.web.NAV` filtered for the role's kind, as the
sidebar is), and the public pages from the app's routes (every GET page answered without a login),
so a page another engineer adds later is checked without touching this test.

Checked on each page: it answers 200 with HTML; no element's content overflows its box; no date
wraps; no raw snake_case / UPPER_SNAKE code is shown as text (identifiers shown as such sit in
code / .mono / [data-literal]); no type=date input (it shows the browser's mm/dd/yyyy); the sidebar
background reaches the bottom of the page; charts keep labels, legends and axis titles whole; and
axe-core (the copy bundled by PyPI's axe-playwright-python, never a CDN) finds no WCAG 2.0/2.1
A or AA violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from browser_support import ARTIFACTS, launch_chromium, live_server, login

pytestmark = pytest.mark.browser

# One login per role of the demo (password silkgate-demo): the agencies, finance, the park operator
# and each kind of enterprise.
DEMO_ROLES = (
    "zone_admin",
    "customs",
    "tax",
    "forex",
    "commerce",
    "market",
    "bank",
    "insurer",
    "park",
    "seller1",
    "platform1",
    "logistics1",
    "payment1",
    "broker1",
    "warehouse1",
    "tradeservice1",
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHECKS = (Path(__file__).parent / "browser_page_checks.js").read_text(encoding="utf-8")
SHOTS = ARTIFACTS / "pages"


def nav_of(username: str) -> list[str]:
    """The pages of a demo login's navigation, from silkgate.web.NAV and the login's kind."""
    from sqlalchemy import select

    from silkgate.auth.service import principal_for_org
    from silkgate.config import get_settings
    from silkgate.db import make_engine, unit_of_work
    from silkgate.models.org import Organisation, User
    from silkgate.web import nav_for

    engine = make_engine(get_settings().database_url)
    try:
        with unit_of_work(engine) as session:
            org = session.scalar(
                select(Organisation)
                .join(User, User.org_id == Organisation.id)
                .where(User.username == username)
            )
            assert org is not None, f"demo login {username} is missing"
            return [href for href, _label in nav_for(principal_for_org(session, org))]
    finally:
        engine.dispose()


def page_routes() -> list[str]:
    """Every GET page of the app (no path parameter, not an Excel/CSV download)."""
    from silkgate.app import create_app

    found: list[str] = []

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
            elif (
                type(route).__name__ == "APIRoute"
                and "GET" in route.methods
                and not route.include_in_schema
                and "{" not in route.path
                and not route.path.endswith((".xlsx", ".csv"))
                and route.path != "/healthz"
            ):
                found.append(prefix + route.path)

    walk(create_app().routes)
    return found


def public_pages(base: str) -> list[str]:
    """The pages that answer an anonymous visitor with HTML (login, public credit, tracking, ...)."""
    out = []
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        for path in page_routes():
            r = client.get(path)
            if r.status_code == 200 and r.headers.get("content-type", "").startswith("text/html"):
                out.append(path)
    return out


def findings(page: Any, axe: Any, where: str) -> list[str]:
    """Everything wrong with the page in hand, each prefixed with where it was seen."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # charts draw after load
    problems: list[str] = []
    found = page.evaluate(CHECKS)
    problems += [f"{where}: overflow: {x}" for x in found["overflow"][:5]]
    problems += [f"{where}: date wraps: {x}" for x in found["wrapped"][:3]]
    problems += [f"{where}: raw code shown: {x}" for x in found["codes"][:5]]
    problems += [f"{where}: chart: {x}" for x in found["charts"]]
    if found["dateInputs"]:
        problems.append(f"{where}: {found['dateInputs']} input[type=date] (shows the browser's mm/dd/yyyy)")
    side = found["sidebar"]
    if side and side["bottom"] < side["page"] - 1:
        problems.append(f"{where}: sidebar ends at {side['bottom']}px of a {side['page']}px page")
    result = axe.run(
        page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    for v in result.response["violations"]:
        targets = ", ".join(str(n["target"][0]) for n in v["nodes"][:3])
        problems.append(f"{where}: axe {v['id']} ({v['impact']}) × {len(v['nodes'])}: {targets}")
    return problems


def test_every_page_of_every_role_is_whole_readable_and_accessible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from silkgate.config import get_settings

    SHOTS.mkdir(parents=True, exist_ok=True)
    axe = axe_module.Axe()
    problems: list[str] = []
    visited = 0
    with live_server(tmp_path) as base, sync_api.sync_playwright() as pw:
        monkeypatch.setenv("SILKGATE_DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
        get_settings.cache_clear()
        browser = launch_chromium(pw)
        try:
            anonymous = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
            page = anonymous.new_page()
            page.set_default_timeout(90_000)
            public = public_pages(base)
            assert "/login" in public
            for path in public:
                page.goto(base + path)
                problems += findings(page, axe, f"(public) {path}")
                page.screenshot(path=str(SHOTS / f"public{path.replace('/', '_')}.png"), full_page=True)
                visited += 1
            anonymous.close()

            for username in DEMO_ROLES:
                context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
                page = context.new_page()
                page.set_default_timeout(90_000)
                login(page, base, username)
                pages = nav_of(username)
                shown = page.eval_on_selector_all(
                    "nav.sidenav a", "els => els.map(e => e.getAttribute('href'))"
                )
                assert shown == pages, f"{username}: the sidebar shows {shown}, NAV says {pages}"
                for path in pages:
                    response = page.goto(base + path)
                    where = f"{username} {path}"
                    assert response is not None
                    if response.status != 200 or "text/html" not in (
                        response.headers.get("content-type") or ""
                    ):
                        problems.append(
                            f"{where}: answered {response.status} {response.headers.get('content-type')}"
                        )
                        continue
                    problems += findings(page, axe, where)
                    page.screenshot(
                        path=str(SHOTS / f"{username}{path.replace('/', '_')}.png"), full_page=True
                    )
                    visited += 1
                context.close()
        finally:
            browser.close()
            get_settings.cache_clear()
    assert visited > len(DEMO_ROLES) * 5
    assert not problems, f"{len(problems)} problems on {visited} pages:\n" + "\n".join(problems)
