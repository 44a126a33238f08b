"""Leaf helpers that import nothing from the domains: check digits, crypto, money, safe XML, CEB time."""
