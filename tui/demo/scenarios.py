"""The demo's scenarios: each a known state of a vLLM deployment (healthy, or one fault), and the `f` key's cycle.

`tui.demo.target.DemoTarget` serves, logs and simulates what its scenario says; `SCENARIOS` is also what
`embedtop demo --scenario` offers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """What the simulated deployment looks like."""

    name: str
    description: str
    served: str = "Qwen3-Embedding-4B"
    root: str = "/models/Qwen3-Embedding-4B"
    dims: int = 2560
    listening: bool = True
    engine_dead: bool = False
    slow: bool = False
    client: str | None = None  # a simulated Open WebUI: "ingest" (good) or "bad-base-url" (no /v1)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("healthy", "Qwen3-Embedding-4B loaded, 2560-dim vectors, fast answers"),
        Scenario(
            "wrong-model",
            "served under the repo id 'Qwen/Qwen3-Embedding-4B' (no --served-model-name); clients ask for "
            "'Qwen3-Embedding-4B' and get 404",
            served="Qwen/Qwen3-Embedding-4B",
            root="Qwen/Qwen3-Embedding-4B",
        ),
        Scenario(
            "wrong-dims",
            "the 0.6B weights are served under the name Qwen3-Embedding-4B: vectors are 1024 long",
            root="/models/Qwen3-Embedding-0.6B",
            dims=1024,
        ),
        Scenario(
            "ingest",
            "a simulated Open WebUI ingests documents: bursts of chunk embeddings, all of a file at once, two passes",
            client="ingest",
        ),
        Scenario(
            "bad-base-url",
            "the client's base URL lacks /v1: Open WebUI posts to /embeddings and gets 404 for every chunk",
            client="bad-base-url",
        ),
        Scenario("slow", "answers get slower and slower while requests queue", slow=True),
        Scenario(
            "engine-dead",
            "the worker was killed (exit code -9): /health 503, embeddings 500, EngineDeadError in the log",
            engine_dead=True,
        ),
        Scenario(
            "starting", "vLLM is loading the model: the log shows progress, the port is not open yet", listening=False
        ),
    )
}
FAULT_CYCLE = ("healthy", "ingest", "bad-base-url", "wrong-model", "wrong-dims", "slow", "engine-dead", "starting")
