"""Organisations, users, API keys, roles, tenant scoping and the audit log."""
