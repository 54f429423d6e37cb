"""Billing's pure domain rules (SPEC §2.2): catalogue, periods, pricing, lifecycle, quotes.

No I/O, no framework, no clock: every function that needs "today" takes it as an argument.
"""
