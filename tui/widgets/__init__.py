"""Widgets: Textual panels that draw the state. They never do I/O."""
