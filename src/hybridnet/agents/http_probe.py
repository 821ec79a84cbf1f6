"""HTTP requests to the application through the load balancer, and a minimal server to answer them.

Each request opens a fresh connection, so every request crosses whatever path is in use *now*
(a kept-alive connection would hide a path change). The server names itself in the body so the
report can show which backend the load balancer chose. Standard library only.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from hybridnet.agents.agent_io import POLL_S, Lifetime, RecordCapReached, RecordWriter

MAX_BODY_BYTES = 65536


def run_requester(writer: RecordWriter, lifetime: Lifetime, url: str, interval_s: float, timeout_s: float,
                  count: int) -> None:
    """GET ``url`` every ``interval_s`` until ``count`` requests or the lifetime ends."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only plain http:// URLs are probed, not {url!r}")
    path = parts.path or "/"
    writer.write("ready", role="http-requester", url=url)
    start_ns = time.monotonic_ns()
    sent = ok = 0
    try:
        while sent < count and not lifetime.expired():
            due_ns = start_ns + int(sent * interval_s * 1e9)
            if time.monotonic_ns() < due_ns:
                time.sleep(min(POLL_S, (due_ns - time.monotonic_ns()) / 1e9))
                continue
            t_ns = time.monotonic_ns()
            status, served_by, error = _get(parts.hostname, parts.port or 80, path, timeout_s)
            latency_ms = (time.monotonic_ns() - t_ns) / 1e6
            sent += 1
            ok += int(status == 200)
            writer.write("http", t_ns=t_ns, status=status, latency_ms=latency_ms, served_by=served_by,
                         error=error)
    except RecordCapReached:
        lifetime.stop_reason = "record cap"
    writer.write_final("summary", role="http-requester", requests=sent, ok=ok,
                       stop_reason=lifetime.stop_reason or "count")


def _get(host: str, port: int, path: str, timeout_s: float) -> tuple[int, str, str]:
    """One request on a fresh connection: (status or 0, who served it, error text)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", path, headers={"Connection": "close", "User-Agent": "hybridnet-drill"})
        response = connection.getresponse()
        body = response.read(MAX_BODY_BYTES)
        return response.status, body.decode("utf-8", "replace").strip()[:200], ""
    except (OSError, http.client.HTTPException) as exc:
        return 0, "", f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def run_server(writer: RecordWriter, lifetime: Lifetime, bind_host: str, port: int, name: str) -> None:
    """Answer every GET with this workload's name until the lifetime ends."""
    body = (name + "\n").encode()

    class WorkloadHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Requests are counted by the requester; the server stays quiet."""

    server = ThreadingHTTPServer((bind_host, port), WorkloadHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True)
    thread.start()
    writer.write("ready", role="http-server", port=server.server_address[1], name=name)
    try:
        while not lifetime.expired():
            time.sleep(POLL_S)
    finally:
        server.shutdown()
        server.server_close()
        writer.write_final("summary", role="http-server", stop_reason=lifetime.stop_reason or "duration")
