"""Recruitment gifts (SPEC §2.2 rule 39, *Hvervegave*): the gift setup per acquisition
channel, a subscription's recruiter, gifts due when a recruit's first charge is paid, the
export of a paid window, and zero-value invoices. The pure rules are
`domain/recruitment_gifts.py`."""
