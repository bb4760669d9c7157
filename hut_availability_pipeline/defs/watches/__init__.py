"""Definitions of the watches: the evaluation sensor (`watches.evaluation`) and the delivery job."""
