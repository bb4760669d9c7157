"""Watch use cases above storage: evaluating watches against the current state (`evaluation`)."""
