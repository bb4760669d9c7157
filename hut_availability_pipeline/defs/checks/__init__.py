"""Definitions of the availability checks: the asset checks of the tables, their job and schedule."""
