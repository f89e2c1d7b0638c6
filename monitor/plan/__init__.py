"""PLAN: which e-mails are due, built and claimed idempotently in the delivery queue."""
