"""vLLM log reading: line parser, lifecycle phase and the catalog of fatal log patterns."""
