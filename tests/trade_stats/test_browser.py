"""Browser: the zone office's dashboard on the demo zone, a drill-down from a chart and from a table
to the declarations behind them, the 大屏 display, Excel export of an on-screen table and of the
monthly report, and an enterprise's dashboard of its own trade only. Screenshots: tests/artifacts/."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.browser

STEPS = ("registry", "clearance", "export", "trade_stats")


def test_dashboard_drill_down_screen_and_excel(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    support = pytest.importorskip("browser_support")
    with support.live_server(tmp_path, steps=STEPS) as base, playwright_api.sync_playwright() as pw:
        browser = support.launch_chromium(pw)
        try:
            page = browser.new_context(locale="zh-CN", viewport={"width": 1500, "height": 1000}).new_page()
            page.set_default_timeout(90_000)  # the shared machine is often busy
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/")
            assert "/login" in page.url  # the home page needs a login
            support.login(page, base, "zone_admin")
            page.wait_for_load_state("networkidle")
            assert "跨境电商运行监测" in page.inner_text("h1")
            assert page.locator("#kpis .kpi").count() >= 4
            page.wait_for_function("document.querySelectorAll('#chart-world canvas').length > 0")
            page.wait_for_timeout(800)
            support.shot(page, "stats-01-dashboard")
            assert not errors, errors

            # Drill-down from the HS-chapter chart: click the first bar where ECharts draws it.
            page.locator("#chart-chapters").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            point = page.evaluate(
                """() => {
                const el = document.getElementById('chart-chapters');
                const chart = echarts.getInstanceByDom(el);
                const data = chart.getOption().series[0].data;
                const last = data.length - 1;
                const px = chart.convertToPixel({seriesIndex: 0}, [Number(data[last].value) / 2, last]);
                const box = el.getBoundingClientRect();
                return {x: box.left + px[0], y: box.top + px[1], href: data[last].href};
            }"""
            )
            page.mouse.click(point["x"], point["y"])
            page.wait_for_url("**/declarations?**")
            params = parse_qs(urlparse(page.url).query)
            assert params["hs_chapter"][0].isdigit() and params["status"] == ["released"]
            assert page.url.endswith(point["href"].split("/declarations", 1)[1])

            # Drill-down from a table: the top seller's declarations.
            page.goto(f"{base}/")
            link = page.locator("#top-sellers a.drill").first
            href = link.get_attribute("href") or ""
            assert "enterprise_id=" in href and "date_from=" in href

            # 大屏
            page.goto(f"{base}/stats/screen")
            page.wait_for_function("document.querySelectorAll('canvas').length >= 5")
            page.wait_for_timeout(800)
            page.screenshot(path=str(support.ARTIFACTS / "stats-02-screen.png"))

            # Any table exports to Excel: the country ranking.
            page.goto(f"{base}/stats?dimension=country")
            support.shot(page, "stats-03-analysis")
            with page.expect_download() as download:
                page.locator("#breakdown-country a.export-xlsx").click()
            wb = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
            ws = wb.active
            assert ws is not None
            assert [c.value for c in ws[4]][:3] == ["国家（地区）", "清单票数", "货值（万元）"]
            assert ws.max_row > 4

            # Targets and the monthly report (Excel with a chart per sheet).
            page.goto(f"{base}/stats/targets")
            assert "YC-T3" in page.inner_text("#targets")
            support.shot(page, "stats-04-targets")
            page.goto(f"{base}/stats/reports?kind=monthly")
            support.shot(page, "stats-05-report")
            with page.expect_download() as download:
                page.click("#download-xlsx")
            report = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
            assert report.sheetnames[0] == "封面" and len(report.sheetnames) >= 8

            # An enterprise sees the same dashboard of its own trade only.
            seller = browser.new_context(locale="zh-CN", viewport={"width": 1500, "height": 1000}).new_page()
            support.login(seller, base, "seller1")
            seller.wait_for_load_state("networkidle")
            assert "（本企业）" in seller.inner_text("h1")
            assert seller.locator("#top-sellers").count() == 0 and seller.locator("#targets").count() == 0
            support.shot(seller, "stats-06-enterprise-dashboard")
            assert seller.goto(f"{base}/stats/targets").status == 403  # type: ignore[union-attr]
        finally:
            browser.close()
