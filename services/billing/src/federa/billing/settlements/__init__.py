"""Branch settlements (SPEC §2.2 rule 34, flow F12): calculated, stored and published."""
