"""Browser: a bank reviews a financing application it holds a grant for, and is refused the one
whose enterprise granted it nothing (the page shows nothing of that enterprise)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser_support import launch_chromium, live_server, login, shot

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def test_bank_reviews_with_grant_and_is_refused_without(tmp_path: Path) -> None:
    with live_server(tmp_path, steps=("registry", "finance")) as base, sync_api.sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            bank = browser.new_context(locale="zh-CN").new_page()
            login(bank, base, "bank")
            bank.goto(f"{base}/finance")
            inbox = bank.locator("#inbox tbody tr")
            assert inbox.count() >= 3
            # an application still waiting: open, take it into review, approve it
            row = bank.locator("#inbox tbody tr", has_text="已申请").first
            enterprise_name = row.locator("td").nth(1).inner_text()
            row.get_by_role("link", name="审核").click()
            assert "本次查看已记入审计日志" in bank.content()
            assert enterprise_name in bank.content()
            assert (
                bank.locator("#slice-filings").is_visible()
                and bank.locator("#slice-declarations").is_visible()
            )
            bank.get_by_role("button", name="受理审核").click()
            bank.fill("input[name=annual_rate_pct]", "4.35")
            bank.fill("form[action$='/approve'] input[name=note]", "押品价值充足，交易背景真实")
            bank.get_by_role("button", name="批准").click()
            assert "已批准" in bank.locator("#application").inner_text()
            shot(bank, "finance-bank-review-approved")

            # seller3 applied to the same bank but revoked its grant: find the application as seller3
            seller = browser.new_context(locale="zh-CN").new_page()
            login(seller, base, "seller3")
            me = json.loads(seller.goto(f"{base}/api/v1/me").text())  # type: ignore[union-attr]
            apps = json.loads(seller.goto(f"{base}/api/v1/finance/applications").text())  # type: ignore[union-attr]
            hidden = next(a for a in apps if a["product"] == "warehouse_pledge" and a["status"] == "applied")
            seller.goto(f"{base}/finance")
            assert "已撤销" in seller.locator("#grants").inner_text()
            shot(seller, "finance-enterprise-grants")

            url = f"{base}/finance/bank/enterprises/{me['enterprise_id']}/applications/{hidden['id']}"
            response = bank.goto(url)
            assert response is not None and response.status == 404
            assert "未找到可查看的数据" in bank.locator("#refused").inner_text()
            assert me["org_name"] not in bank.content()
            shot(bank, "finance-bank-refused-without-grant")
            bank.goto(f"{base}/finance")
            assert me["org_name"] not in bank.locator("#inbox").inner_text()
        finally:
            browser.close()
