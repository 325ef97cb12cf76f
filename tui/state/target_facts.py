"""Facts about a target that the checks, the probe and the panels all need: the ids it serves, the model
the probe asks for (and its weights' path), and the vector length expected of it."""

from __future__ import annotations

from tui.config import Config, implied_dims
from tui.samples import ModelInfo, ServerSample
from tui.state.store import Store


def served_ids(server: ServerSample | None) -> list[str]:
    """The ids /v1/models lists (none before it answered)."""
    if server is None or not server.models:
        return []
    return [m.id for m in server.models]


def probe_model(store: Store, cfg: Config) -> str | None:
    """The model the probe asks for: the configured one, else the first served id."""
    if cfg.model:
        return cfg.model
    ids = served_ids(store.server)
    return ids[0] if ids else None


def served_model(store: Store, cfg: Config) -> ModelInfo | None:
    """The served model this target is about, as /v1/models lists it: the one the probe asks for, else the
    first listed (None before /v1/models answered)."""
    server = store.server
    if server is None or not server.models:
        return None
    want = probe_model(store, cfg)
    return next((m for m in server.models if m.id == want), server.models[0])


def probe_root(store: Store, cfg: Config) -> str | None:
    """The served weights' path (/v1/models `root`) of the model the probe asks for, when listed."""
    model = served_model(store, cfg)
    return model.root if model is not None else None


def expected_dims(store: Store, cfg: Config) -> tuple[int | None, str]:
    """The vector length expected and what says so: --dims, the model name, else the first good answer."""
    if cfg.dims:
        return cfg.dims, "--dims"
    if cfg.expected_dims:
        return cfg.expected_dims, f"model name {cfg.model}"
    model = probe_model(store, cfg)
    implied = implied_dims(model)
    if implied:
        return implied, f"model name {model}"
    return store.first_good_dims, "first good answer"
