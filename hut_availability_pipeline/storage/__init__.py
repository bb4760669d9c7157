"""PostgreSQL access: the embedded server, migrations, huts, the batched writer and queries."""
