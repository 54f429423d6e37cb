"""Open orders and drafts: cancelled, closed at zero, or posted into invoices when paid."""
