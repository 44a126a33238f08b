"""In Debian's chromium: the zone office approves a pending filing, then the enterprise logs in
and sees 已通过. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import launch_chromium, live_server, login, shot

pytestmark = pytest.mark.browser


def test_zone_office_approves_a_filing_and_the_enterprise_sees_it(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with live_server(tmp_path, steps=("registry",)) as base_url, sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            office = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900}).new_page()
            login(office, base_url, "zone_admin")
            office.goto(f"{base_url}/approvals")
            row = office.locator("tr", has_text="新锐家电电子商务有限公司")
            assert row.count() == 1
            shot(office, "registry-01-approval-queue")
            with office.expect_navigation():
                row.get_by_role("button", name="通过").click()
            assert "已通过该企业备案" in office.content()
            assert office.locator("tr", has_text="新锐家电电子商务有限公司").count() == 0
            shot(office, "registry-02-approved")
            office.goto(f"{base_url}/enterprises?q=新锐家电")
            assert "已通过" in office.locator("table.grid").inner_text()

            applicant = browser.new_context(
                locale="zh-CN", viewport={"width": 1360, "height": 900}
            ).new_page()
            login(applicant, base_url, "applicant1")
            applicant.goto(f"{base_url}/enterprises")
            heading = applicant.locator("h1").inner_text()
            assert "新锐家电电子商务有限公司" in heading and "已通过" in heading
            history = applicant.locator("ul.timeline").inner_text()
            assert "审核通过" in history
            shot(applicant, "registry-03-enterprise-sees-approval")
        finally:
            browser.close()
