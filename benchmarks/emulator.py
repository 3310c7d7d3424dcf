"""The local emulator in its own process, so its CPU time never counts against the client under test.

Started through its public command line (`python -m bedrock_mistral.local serve --port 0 ...`); the
endpoint and credentials are read back from the banner it prints.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

_URL = re.compile(r"listening on (?P<url>http://\S+)")
_EXPORT = re.compile(r"export (?P<name>AWS_[A-Z_]+)=(?P<value>\S+)")
_READY = "Press Ctrl-C"
_S3 = re.compile(r"read and write S3 at (?P<url>http://\S+)")
_QUOTA_USAGE = re.compile(r"Quota usage for \S+.*?: (?P<admitted>\d+) admitted, (?P<throttled>\d+) throttled")


@dataclass(frozen=True)
class Endpoint:
    """Where the emulator listens and the credentials clients should sign with."""

    url: str
    region: str
    access_key: str
    secret_key: str
    s3_url: str | None = None
    """The S3 API batch jobs use (`serve --s3`), else None."""

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for boto3, aiobotocore and most adapters."""
        return {
            "endpoint_url": self.url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
        }

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").rstrip("/").partition(":")
        return host, int(port or 80)


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    """`with EmulatorProcess(token_latency_ms=20) as endpoint: ...`"""

    def __init__(
        self,
        *,
        token_latency_ms: float = 0.0,
        extra_args: tuple[str, ...] = (),
        python: str = sys.executable,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.token_latency_ms = token_latency_ms
        self.command = [python, "-m", "bedrock_mistral.local", "serve", "--port", "0", *extra_args]
        if token_latency_ms:
            self.command += ["--token-latency-ms", str(token_latency_ms)]
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[str] | None = None
        self.endpoint: Endpoint | None = None
        self._stderr: IO[Any] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> Endpoint:
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - open for the child's lifetime
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()
        banner: list[str] = []
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.01, remaining))
            except queue.Empty:
                line = None
                remaining = 0
            if line is None or remaining <= 0:
                error = self._failure("did not start" if line is not None or remaining <= 0 else "exited")
                self.stop()
                raise error
            banner.append(line)
            if _READY in line:
                break
        self.endpoint = self._parse(banner)
        return self.endpoint

    def _pump(self, stream: IO[str] | None) -> None:
        """Reads the child's stdout to the end, so a chatty emulator never blocks on a full pipe."""
        if stream is None:
            return
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def _parse(self, banner: list[str]) -> Endpoint:
        text = "".join(banner)
        url = _URL.search(text)
        exports = {m.group("name"): m.group("value") for m in _EXPORT.finditer(text)}
        if url is None:
            raise EmulatorError(f"unexpected emulator banner:\n{text}")
        s3 = _S3.search(text)
        return Endpoint(
            s3_url=s3.group("url") if s3 else None,
            url=url.group("url").rstrip("/"),
            region=exports.get("AWS_REGION", "us-east-1"),
            access_key=exports.get("AWS_ACCESS_KEY_ID", "AKIALOCALBEDROCK0000"),
            secret_key=exports.get("AWS_SECRET_ACCESS_KEY", "local"),
        )

    def _failure(self, what: str) -> EmulatorError:
        detail = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            detail = self._stderr.read()[-2000:]
        return EmulatorError(f"emulator {what}: {' '.join(self.command)}\n{detail}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def quota_usage(self, timeout_s: float = 10.0) -> dict[str, int]:
        """After `stop`: requests admitted and throttled by the emulator's quotas (summed over models), from
        the lines `serve` prints when it stops; empty when it printed none."""
        usage: dict[str, int] = {}
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            found = _QUOTA_USAGE.search(line)
            if found:
                for name in ("admitted", "throttled"):
                    usage[name] = usage.get(name, 0) + int(found.group(name))
        return usage

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- observation (Linux /proc; None elsewhere) --------------------------------------------------

    def rss_bytes(self) -> int | None:
        if self.process is None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float | None:
        if self.process is None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
