"""Subscriptions around the domain: storage, events, commands and reads."""
