"""A zone officer walks a risk alert from new to closed in the real web UI (chromium)."""

from __future__ import annotations

import pytest

from browser_support import launch_chromium, live_server, login, shot

pytestmark = pytest.mark.browser


def test_zone_officer_walks_an_alert_from_new_to_closed(tmp_path):
    from playwright.sync_api import sync_playwright

    with live_server(tmp_path, steps=("registry", "credit", "risk")) as base_url, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        login(page, base_url, "zone_admin")
        page.goto(f"{base_url}/risk?status=new")
        shot(page, "risk-alerts")
        page.click("#alerts a[href^='/risk/alerts/']")
        page.wait_for_selector("#next-step")
        title = page.inner_text("h2")
        shot(page, "risk-alert-new")
        plan = [
            ("已评估", "调取订单、支付、物流日志，确认多名购买人共用同一收件信息", None),
            ("已处置", "约谈电商企业，确认刷单，责令停止并追缴税款", "confirmed"),
            ("已跟踪", "企业已关闭相关账户并提交整改报告", None),
            ("已复查关闭", "复查未再发现同类交易", None),
        ]
        for label, note, outcome in plan:
            if outcome:
                page.select_option("select[name=outcome]", outcome)
            page.fill("textarea[name=note]", note)
            with page.expect_navigation():
                page.click("#advance")
            assert label in page.inner_text("#alert-status")
            shot(page, f"risk-alert-{label}")
        timeline = page.inner_text("#timeline")
        assert "新预警 → 已评估" in timeline and "已跟踪 → 已复查关闭" in timeline
        assert "查实" in page.inner_text("#alert-status")
        assert page.query_selector("#next-step") is None
        assert title
        # The confirmed case is on the enterprise's credit record.
        page.click("dl.kv a[href^='/credit/']")
        assert "查实风险案件" in page.inner_text("#factors")
        shot(page, "credit-record-after-confirmed-case")
        page.goto(f"{base_url}/public/credit")
        shot(page, "public-credit")
        browser.close()
