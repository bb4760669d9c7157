"""Definitions of the trends: the trend assets, their job and schedule."""
