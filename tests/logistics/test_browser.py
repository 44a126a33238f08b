"""Browser: the zone office's logistics view, a buyer's tracking page (customs and carrier in one
timeline, nothing personal) and the park layout, on the full demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import launch_chromium, live_server, login, shot

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def test_zone_office_logistics_parks_and_public_tracking(tmp_path: Path) -> None:
    with live_server(tmp_path) as base, sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            office = browser.new_context(locale="zh-CN").new_page()
            login(office, base, "zone_admin")
            office.goto(f"{base}/logistics")
            assert "中欧班列" in office.locator("#consignments").inner_text()
            assert "通关时长 中位数" in office.content()
            shot(office, "logistics-zone-office")
            waybill = office.locator("#waybills tbody tr td a").first.inner_text()

            buyer = browser.new_context(locale="zh-CN").new_page()  # not logged in
            buyer.goto(f"{base}/track")
            buyer.fill("input[name=waybill]", waybill)
            buyer.get_by_role("button", name="查询").click()
            timeline = buyer.locator("#timeline").inner_text()
            assert "海关放行" in timeline and "已揽收" in timeline
            shot(buyer, "logistics-public-tracking")

            office.goto(f"{base}/parks")
            parks = office.locator("#parks").inner_text()
            assert "运城经济技术开发区跨境电子商务综合园区" in parks and "万荣县电子商务产业园" in parks
            shot(office, "parks-layout")
            office.get_by_role("link", name="运城经济技术开发区跨境电子商务综合园区").click()
            assert "入驻企业" in office.content() and "占全区比重" in office.content()
            shot(office, "parks-core-park")
        finally:
            browser.close()
