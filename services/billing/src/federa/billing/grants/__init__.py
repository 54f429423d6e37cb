"""Allocation grants (SPEC §2.2 rule 41, flow F12 item 2; *Rådighedsbeløb*): the tenant's
grant rules (`rules.py`), the organisations' areas (`profiles.py`) and the grant batches
(`store.py`); the rule itself is `domain/allocation_grants.py`."""
