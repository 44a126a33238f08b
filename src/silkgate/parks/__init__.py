"""parks"""
