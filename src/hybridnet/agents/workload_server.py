"""A workload VM's service: answers every connection (TCP) or datagram (UDP) with the VM's name.

Run with the bare interpreter (``python3 -I -S workload_server.py NAME PORT PROTOCOL``) inside the
VM's namespace: stdlib only, no hybridnet import, so each VM costs a few MB, not a full venv.
HTTP clients get a valid HTTP/1.0 response, so ``curl`` through the load balancer shows which
backend answered.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def serve_tcp(name: str, port: int) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(64)
    body = f"{name}\n".encode()
    response = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (
        len(body),
        body,
    )
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_answer, args=(connection, response), daemon=True).start()


def _answer(connection: socket.socket, response: bytes) -> None:
    with connection:
        connection.settimeout(2)
        with contextlib.suppress(OSError):
            connection.recv(4096)
        with contextlib.suppress(OSError):
            connection.sendall(response)


def serve_udp(name: str, port: int) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("0.0.0.0", port))
    while True:
        _, peer = server.recvfrom(2048)
        server.sendto(f"{name}\n".encode(), peer)


def main() -> None:
    name, port, protocol = sys.argv[1], int(sys.argv[2]), sys.argv[3].lower()
    (serve_udp if protocol == "udp" else serve_tcp)(name, port)


if __name__ == "__main__":
    main()
