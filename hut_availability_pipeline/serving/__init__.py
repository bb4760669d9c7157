"""The one web application (`app.create_app`): the read-only HTTP API (`api/`) and the web front
end (`web/`) composed, with what both use in one place: the pool and connection dependencies,
the settings and clock (`deps`), the table's filters (`filters`) and failures with their handlers
(`errors`). `api` and `web` import this package and never each other."""
