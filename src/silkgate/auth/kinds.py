"""Organisation kinds and what each may see."""

from __future__ import annotations

ZONE_OFFICE = "zone_office"
ENTERPRISE = "enterprise"
CUSTOMS = "customs"
TAX = "tax"
FOREX = "forex"
COMMERCE = "commerce"
MARKET_REGULATION = "market_regulation"
BANK = "bank"
INSURER = "insurer"
PARK_OPERATOR = "park_operator"

AGENCY_KINDS = (CUSTOMS, TAX, FOREX, COMMERCE, MARKET_REGULATION)
FINANCE_KINDS = (BANK, INSURER)
ORG_KINDS = (ZONE_OFFICE, ENTERPRISE, *AGENCY_KINDS, BANK, INSURER, PARK_OPERATOR)

KIND_LABELS = {
    ZONE_OFFICE: "综试办",
    ENTERPRISE: "企业",
    CUSTOMS: "海关",
    TAX: "税务",
    FOREX: "外汇管理",
    COMMERCE: "商务",
    MARKET_REGULATION: "市场监管",
    BANK: "银行",
    INSURER: "保险机构",
    PARK_OPERATOR: "园区运营方",
}

ROLE_LABELS = {
    "platform": "电商平台",
    "seller": "电商企业",
    "logistics": "物流企业",
    "payment": "支付企业",
    "broker": "报关企业",
    "warehouse": "仓储企业",
    "trade_service": "外贸综合服务企业",
}

# Kinds whose reads of another organisation's data are written to the audit log.
AUDITED_KINDS = (*AGENCY_KINDS, BANK, INSURER)

# The enterprise-filing fields each agency's remit covers (一次备案、多主体共享: one record,
# a view per agency). The zone office and the enterprise itself see every field.
COMMON_FILING_FIELDS = (
    "id",
    "uscc",
    "customs_code",
    "name",
    "name_en",
    "roles",
    "status",
    "zone_code",
    "registered_address",
    "district",
    "legal_representative",
    "created_at",
    "decided_at",
)
AGENCY_FILING_FIELDS: dict[str, tuple[str, ...]] = {
    CUSTOMS: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "shops"),
    TAX: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "settlement_bank", "settlement_account"),
    FOREX: (*COMMON_FILING_FIELDS, "settlement_bank", "settlement_account"),
    COMMERCE: (*COMMON_FILING_FIELDS, "contact_name", "contact_email", "shops"),
    MARKET_REGULATION: (*COMMON_FILING_FIELDS, "contact_name", "contact_phone", "contact_email", "shops"),
}
