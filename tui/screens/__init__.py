"""The screens: the dashboard (layout, keys, redraws) and the key help, drawn from the dashboard's bindings."""
