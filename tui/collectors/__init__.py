"""Collectors: talk to the watched system and turn every answer, or failure, into a timestamped sample.

Nothing here imports Textual or the widgets (an import-linter contract checks it).
"""
