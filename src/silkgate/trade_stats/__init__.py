"""trade_stats"""
