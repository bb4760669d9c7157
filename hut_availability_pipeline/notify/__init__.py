"""Delivery of notifications (apprise), retried with backoff, idempotent through the outbox."""
