"""A seller from list release to an accepted summary declaration, in Debian's chromium against a live
server with the registry and export demo loaded. Screenshots in tests/artifacts/export-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import launch_chromium, live_server, login, shot

pytestmark = pytest.mark.browser


def test_seller_walks_a_month_from_released_lists_to_an_accepted_summary(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with live_server(tmp_path, steps=("registry", "export")) as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        login(page, base, "seller1")
        page.goto(f"{base}/export")
        assert "已离境结关" in page.content()
        shot(page, "export-1-lists")
        page.click("table.grid tbody tr:first-child td:first-child a")
        page.wait_for_selector("h1:has-text('出口清单')")
        assert "办理过程" in page.content()
        shot(page, "export-2-list-detail")

        page.goto(f"{base}/export/summaries")
        proposed = page.locator("#summaries tbody tr", has=page.locator("text=待企业复核")).first
        proposed.locator("td:first-child a").click()
        page.wait_for_selector("#submit-summary")
        members = page.locator("#members tbody tr").count()
        assert members >= 1
        shot(page, "export-3-summary-review")
        summary_url = page.url
        with page.expect_navigation():
            page.click("#submit-summary")
        assert page.locator("#summary-status").inner_text() == "已申报"
        assert "CEB701" in page.content()
        shot(page, "export-4-summary-submitted")

        page.click("button:has-text('退出')")
        login(page, base, "customs")
        page.goto(summary_url)
        page.fill("input[name=sum_no]", "050920260000099999")
        page.fill("input[name=entry_id]", "050920260000099999")
        with page.expect_navigation():
            page.click("#record-result")
        assert page.locator("#summary-status").inner_text() == "海关已接受"
        page.click("button:has-text('退出')")

        login(page, base, "seller1")
        page.goto(summary_url)
        assert page.locator("#entry-id").inner_text() == "050920260000099999"
        shot(page, "export-5-summary-accepted")
        page.goto(f"{base}/export/tax")
        assert "无票免税台账" in page.content()
        shot(page, "export-6-tax")
        page.goto(f"{base}/export/fx")
        shot(page, "export-7-fx")
        browser.close()
