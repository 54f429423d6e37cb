"""Documents: orders, draft invoices, invoices and credit memos; numbering and storage."""
