"""Start `policybot serve` as a real subprocess for tests (and wait until it answers)."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx

from support.moments import pythonpath

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "test-signing-secret-5f0c2a9e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_headers(body: str, *, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = f"v0:{timestamp}:{body}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }


def command_body(text: str, *, response_url: str, user: str = "U0TEST1") -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0TEST",
            "team_domain": "test",
            "channel_id": "C0TEST",
            "channel_name": "policy",
            "user_id": user,
            "user_name": "tester",
            "command": "/policy",
            "text": text,
            "response_url": response_url,
            "trigger_id": "1.2.3",
            "api_app_id": "A0TEST",
        }
    )


@dataclass
class ServeProcess:
    proc: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, timeout: float = 60.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited early ({self.proc.returncode}):\n{self.log()}")
            try:
                response = httpx.get(self.base_url + "/healthz", timeout=5)
                return response
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"serve never answered /healthz:\n{self.log()}")

    def terminate(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"serve did not stop on SIGTERM:\n{self.log()}") from None


def start_serve(
    *,
    workdir: Path,
    env: dict[str, str],
    extra_args: list[str] | None = None,
    name: str = "serve",
) -> ServeProcess:
    """`python -m bot serve --host 127.0.0.1 --port <free>` with exactly `env` as settings."""
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "POLICYBOT_")) and k != "DATABASE_URL"
    }
    clean.update(env)
    clean["PYTHONPATH"] = pythonpath(ROOT)
    log_path = workdir / f"{name}.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *(extra_args or []),
        ],
        cwd=workdir,
        env=clean,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    return ServeProcess(proc=proc, base_url=f"http://127.0.0.1:{port}", log_path=log_path)
