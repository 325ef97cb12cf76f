"""The screens: the dashboard (layout, keys, redraws), the Ingestion screen (`i`) and the key help, drawn from the
bindings."""
