"""State model: immutable samples and the bounded store that widgets and rules read."""
