"""The built-in demo target: a real HTTP server on 127.0.0.1 that answers like vLLM 0.32, plus its log."""
