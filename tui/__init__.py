"""embedtop: a live terminal dashboard for a vLLM embedding server.

The package is layered one way: collectors -> model (state) -> rules -> widgets.
Nothing is imported eagerly here so that `embedtop --help` stays fast.
"""

__version__ = "0.1.0"
