"""Risk reports for the zone office: by rule (hit rate, confirmed rate), by enterprise, by outcome;
as JSON and as an Excel workbook."""

from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import Workbook
from sqlalchemy.orm import Session

from silkgate.auth.principal import Principal
from silkgate.risk import rules as R
from silkgate.risk import service
from silkgate.risk.schemas import EnterpriseReportOut, ReportsOut, RuleReportOut

OUTCOME_LABELS = {
    **{f"status:{k}": v for k, v in R.ALERT_STATUSES.items()},
    "outcome:confirmed": "结论：查实",
    "outcome:dismissed": "结论：排除",
    "outcome:pending": "结论：待处置",
    "overdue": "逾期未关闭",
}


def quote_filename(name: str) -> str:
    return quote(name, safe="")


def reports_out(session: Session, principal: Principal) -> ReportsOut:
    service.require_handler(principal)
    assert principal.zone_code is not None
    zone = principal.zone_code
    return ReportsOut(
        by_rule=[
            RuleReportOut(
                code=r.code,
                name=r.name,
                version=r.version,
                enabled=r.enabled,
                evaluated=r.evaluated,
                declarations_hit=r.declarations_hit,
                hits=r.hits,
                alerts=r.alerts,
                confirmed=r.confirmed,
                dismissed=r.dismissed,
                hit_rate=r.hit_rate,
                confirmed_rate=r.confirmed_rate,
            )
            for r in service.report_by_rule(session, zone)
        ],
        by_enterprise=[
            EnterpriseReportOut(**e.__dict__) for e in service.report_by_enterprise(session, zone)
        ],
        by_outcome=service.report_by_outcome(session, zone),
    )


def reports_workbook(session: Session, principal: Principal) -> bytes:
    data = reports_out(session, principal)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "按规则"
    ws.append(
        [
            "规则代码",
            "规则名称",
            "版本",
            "启用",
            "评估清单数",
            "命中清单数",
            "命中次数",
            "预警数",
            "查实",
            "排除",
            "命中率",
            "查实率",
        ]
    )
    for r in data.by_rule:
        ws.append(
            [
                r.code,
                r.name,
                r.version,
                "是" if r.enabled else "否",
                r.evaluated,
                r.declarations_hit,
                r.hits,
                r.alerts,
                r.confirmed,
                r.dismissed,
                float(r.hit_rate) if r.hit_rate is not None else None,
                float(r.confirmed_rate) if r.confirmed_rate is not None else None,
            ]
        )
    for row in ws.iter_rows(min_row=2, min_col=11, max_col=12):
        for cell in row:
            cell.number_format = "0.0%"
    ws2 = wb.create_sheet("按企业")
    ws2.append(["企业", "预警数", "未关闭", "查实", "排除"])
    for e in data.by_enterprise:
        ws2.append([e.name, e.alerts, e.open_alerts, e.confirmed, e.dismissed])
    ws3 = wb.create_sheet("按结果")
    ws3.append(["项目", "数量"])
    for key, n in sorted(data.by_outcome.items()):
        ws3.append([OUTCOME_LABELS.get(key, key), n])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
