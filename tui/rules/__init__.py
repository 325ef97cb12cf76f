"""Rules: pure functions of the state that produce the checklist (id, status, summary, evidence, fix)."""
