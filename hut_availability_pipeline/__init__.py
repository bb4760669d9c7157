"""Track mountain-hut availability: current state and full change history in PostgreSQL."""

__version__ = "0.1.0"
