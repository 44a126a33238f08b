"""The declaration pages in a real browser, on the demo's four weeks of import trade."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import launch_chromium, live_server, login, shot

pytestmark = pytest.mark.browser


def test_seller_and_zone_office_read_declarations_and_tax(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with live_server(tmp_path, steps=("registry", "clearance")) as base, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            seller = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900}).new_page()
            login(seller, base, "seller2")
            seller.goto(f"{base}/declarations?kind=inventory")
            assert seller.locator("h1").inner_text() == "跨境电商零售进口申报"
            rows = seller.locator("table.grid tbody tr")
            assert rows.count() > 5
            shot(seller, "declarations-seller-list")
            seller.goto(f"{base}/declarations?kind=inventory&status=rejected")
            seller.locator("table.grid tbody tr td a").first.click()
            seller.wait_for_load_state()
            assert "处理过程" in seller.content()
            assert seller.locator(".timeline li").count() >= 2
            shot(seller, "declarations-rejected-detail")
            seller.goto(f"{base}/declarations/receipts")
            assert "CEB622" in seller.content()
            shot(seller, "declarations-receipts")

            office = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900}).new_page()
            login(office, base, "zone_admin")
            office.goto(f"{base}/declarations?kind=inventory&status=released&trade_mode=1210")
            office.locator("table.grid tbody tr td a").first.click()
            office.wait_for_load_state()
            assert "电子税单" in office.content() and "税款计算" in office.content()
            shot(office, "declarations-released-1210-detail")
            office.goto(f"{base}/declarations/tax")
            assert "月度汇总" in office.content()
            assert office.locator("table.grid").first.locator("tbody tr").count() >= 1
            shot(office, "declarations-tax-summary")
            with office.expect_download() as download:
                office.click("text=导出 Excel")
            assert download.value.suggested_filename.endswith(".xlsx")
        finally:
            browser.close()
