"""Runtime: the poll loops that drive collectors and feed samples to a sink, without overlap."""
