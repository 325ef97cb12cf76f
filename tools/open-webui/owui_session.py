#!/usr/bin/env python3
"""Drive a real Open WebUI 0.12.4 from a script (stdlib only): start it offline on 127.0.0.1 with extra env (for
example VECTOR_DB=pgvector), sign up the admin, mint an API key, create a knowledge base, upload a generated text
into it and wait until the file is `completed` or `failed`. Stops it by PID.

usage (CLI): owui_session.py EMBED_BASE_URL WORKDIR [KEY=VALUE ...]   prints the result as JSON
  EMBED_BASE_URL  OpenAI base of the embedding server, e.g. http://127.0.0.1:8011/v1
  KEY=VALUE       extra environment for Open WebUI (VECTOR_DB=pgvector PGVECTOR_DB_URL=… …)
env: OWUI_VENV (default ~/.cache/embedtop/owui-venv), EMB_MODEL (default: the first id of /v1/models).
Used by tests/test_owui_pgvector.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

VENV = Path(os.environ.get("OWUI_VENV", Path.home() / ".cache" / "embedtop" / "owui-venv"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, token: str = "", body: object = None, timeout: float = 30) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"null")


def upload(url: str, token: str, name: str, text: str, knowledge_id: str) -> dict:
    boundary = uuid.uuid4().hex
    meta = json.dumps({"knowledge_id": knowledge_id})
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\n{text}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{meta}\r\n--{boundary}--\r\n'
    ).encode()
    req = urllib.request.Request(f"{url}/api/v1/files/", data=body, method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def document(paras: int) -> str:
    words = "harbour crane ferry depot customs market pilot dredging berth cargo tugboat silo quay".split()
    return "\n\n".join(
        f"Section {i}. " + " ".join(words[(i * k) % len(words)] for k in range(1, 70)) + "."
        for i in range(1, paras + 1)
    )


class OpenWebUI:
    """One Open WebUI process with a fresh DATA_DIR under `work`."""

    def __init__(self, embed_base: str, work: Path, env: dict[str, str], model: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.work = work
        self.log = work / "owui.log"
        (work / "data").mkdir(parents=True, exist_ok=True)
        full = dict(
            os.environ,
            DATA_DIR=str(work / "data"),
            WEBUI_SECRET_KEY="owui-e2e-secret-key-0123456789abcdef0123",
            OFFLINE_MODE="true",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            ENABLE_VERSION_UPDATE_CHECK="false",
            DO_NOT_TRACK="true",
            SCARF_NO_ANALYTICS="true",
            ANONYMIZED_TELEMETRY="false",
            ENABLE_OLLAMA_API="false",
            ENABLE_OPENAI_API="false",
            ENABLE_API_KEYS="true",
            RAG_EMBEDDING_ENGINE="openai",
            RAG_EMBEDDING_MODEL=model,
            RAG_OPENAI_API_BASE_URL=embed_base,
            RAG_OPENAI_API_KEY=env.pop("RAG_OPENAI_API_KEY", ""),
            CHUNK_SIZE="600",
            CHUNK_OVERLAP="100",
            **env,
        )
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(VENV / "bin" / "open-webui"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=work,
                env=full,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 240) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"open-webui exited {self.proc.returncode}: {self.log.read_text()[-1500:]}")
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=2).read()
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"open-webui not healthy after {timeout} s: {self.log.read_text()[-1500:]}")

    def admin_key(self) -> str:
        jwt = call(
            "POST",
            f"{self.url}/api/v1/auths/signup",
            body={"name": "E2E Admin", "email": "admin@example.com", "password": "E2e-pass-123456"},
        )["token"]
        return call("POST", f"{self.url}/api/v1/auths/api_key", jwt)["api_key"]

    def ingest(self, key: str, paras: int = 12, timeout: float = 300) -> dict:
        kb = call("POST", f"{self.url}/api/v1/knowledge/create", key, {"name": "Harbour manual", "description": "e2e"})
        fid = upload(self.url, key, "harbour-manual.txt", document(paras), kb["id"])["id"]
        end, status = time.monotonic() + timeout, ""
        while time.monotonic() < end:
            status = call("GET", f"{self.url}/api/v1/files/{fid}/process/status", key).get("status", "")
            if status in ("completed", "failed"):
                break
            time.sleep(0.5)
        info = call("GET", f"{self.url}/api/v1/files/{fid}", key)
        return {
            "knowledge_id": kb["id"],
            "file_id": fid,
            "status": status,
            "error": (info.get("data") or {}).get("error"),
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, work = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    env = dict(kv.split("=", 1) for kv in sys.argv[3:])
    model = os.environ.get("EMB_MODEL") or call("GET", f"{base}/models")["data"][0]["id"]
    owui = OpenWebUI(base, work, env, model)
    try:
        owui.wait_healthy()
        key = owui.admin_key()
        result = owui.ingest(key)
        result["url"] = owui.url
        print(json.dumps(result))
        return 0 if result["status"] == "completed" else 1
    finally:
        owui.stop()


if __name__ == "__main__":
    sys.exit(main())
