"""Browser: a bonded warehouse records goods entered into the bonded area through the /bonded form
and sees its account book grow; the seller then sees its goods there; anyone works out the retail
import tax of an order on /tax/quote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_warehouse_stock_in_seller_view_and_tax_calculator(tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    support = pytest.importorskip(
        "browser_support", reason="tests/browser_support.py (the shared live server) is not there yet"
    )
    launch_chromium, live_server, login, shot = (
        support.launch_chromium,
        support.live_server,
        support.login,
        support.shot,
    )

    with live_server(tmp_path) as base, playwright_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            seller = browser.new_context(locale="zh-CN").new_page()
            login(seller, base, "seller1")
            me = json.loads(seller.goto(f"{base}/api/v1/me").text())  # type: ignore[union-attr]
            filing = json.loads(seller.goto(f"{base}/api/v1/enterprises/{me['enterprise_id']}").text())  # type: ignore[union-attr]
            owner_code = filing["customs_code"]

            warehouse = browser.new_context(locale="zh-CN").new_page()
            login(warehouse, base, "warehouse1")
            warehouse.goto(f"{base}/bonded")
            warehouse.get_by_role("link", name="保税账册").wait_for()
            warehouse.fill("#stock-in input[name=owner_code]", owner_code)
            warehouse.fill("#stock-in input[name=reference]", "QD-BROWSER-0001")
            warehouse.get_by_label("第1行商品货号").fill("SKU-BROWSER-1")
            warehouse.get_by_label("第1行数量").fill("48")
            warehouse.get_by_label("第1行品名").fill("保湿面霜（浏览器测试）")
            with warehouse.expect_navigation():
                warehouse.get_by_role("button", name="登记入库").click()
            errors = warehouse.locator("#stock-in .flash.error")
            assert errors.count() == 0, errors.inner_text()
            assert "已登记入区 QD-BROWSER-0001：1项商品" in warehouse.content()
            row = warehouse.locator("tr", has_text="SKU-BROWSER-1").first
            assert "48" in row.inner_text()
            shot(warehouse, "clearance-bonded-stock-in")

            seller.goto(f"{base}/bonded?item_no=SKU-BROWSER-1")
            assert "SKU-BROWSER-1" in seller.content() and "登记入区（入库）" not in seller.content()
            shot(seller, "clearance-bonded-seller-view")

            seller.goto(f"{base}/tax/quote")
            seller.get_by_label("第1行商品编码").fill("3304990099")
            seller.get_by_label("第1行单价").fill("1000")
            seller.get_by_label("第1行数量").fill("1")
            seller.get_by_label("第1行增值税率").fill("13")
            seller.get_by_label("第1行消费税率").fill("15")
            seller.get_by_role("button", name="测算").click()
            # 财关税〔2016〕18号: 1000/(1-15%) x (15% + 13%) x 70% = 230.59 (tests/tax/test_calc.py)
            assert seller.locator("#total-tax").inner_text() == "230.59"
            shot(seller, "tax-quote-cosmetics")
        finally:
            browser.close()
