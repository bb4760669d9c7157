"""Definitions of housekeeping: retention of history partitions, Dagster's own storage maintenance."""
