"""The internal load balancer's health prober, run in the VNet fabric namespace.

Like Azure's, it probes every backend from 168.63.129.16 every ``interval_s`` (HTTP GET of the
probe path expecting 200, or a TCP connect) and takes a backend out after ``unhealthy_threshold``
consecutive failures, back in after one success. While the lab starts (the first 15 s, until
every backend has answered once) it probes every 0.2 s, so the lab is not held up by the
interval. The load balancer itself is nftables DNAT (``numgen`` over the healthy backends),
rewritten atomically whenever health changes; the current health is written to ``health.json``
beside the config for ``hybridnet status``.

Stdlib only: run as ``python3 -I -S lb_prober.py CONFIG.json``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

STARTUP_S = 15.0
STARTUP_PROBE_S = 0.2


def probe(source: str, backend: str, spec: dict[str, Any]) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as connection:
            connection.settimeout(min(2.0, float(spec["interval_s"])))
            connection.bind((source, 0))
            connection.connect((backend, int(spec["port"])))
            if spec["protocol"] != "Http":
                return True
            connection.sendall(f"GET {spec['path']} HTTP/1.0\r\nHost: {backend}\r\n\r\n".encode())
            return connection.recv(64).startswith((b"HTTP/1.0 200", b"HTTP/1.1 200"))
    except OSError:
        return False


def ruleset(balancers: list[dict[str, Any]], healthy: dict[str, dict[str, bool]]) -> str:
    lines = [
        "table ip hybridnet_ilb",
        "delete table ip hybridnet_ilb",
        "table ip hybridnet_ilb {",
        "    chain prerouting {",
        "        type nat hook prerouting priority dstnat; policy accept;",
    ]
    for lb in balancers:
        up = [b for b in lb["backends"] if healthy[lb["name"]][b]]
        for rule in lb["rules"]:
            protocol = rule["protocol"].lower()
            match = f"ip daddr {lb['frontend']} {protocol} dport {rule['frontend_port']}"
            if not up:
                lines.append(f'        {match} drop comment "{lb["name"]}: no healthy backend"')
                continue
            targets = ", ".join(f"{i} : {b}" for i, b in enumerate(up))
            lines.append(
                f"        {match} dnat to numgen inc mod {len(up)} map {{ {targets} }}"
                f' : {rule["backend_port"]} comment "{lb["name"]}/{rule["name"]}"'
            )
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    config_path = sys.argv[1]
    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    balancers = config["balancers"]
    health_path = os.path.join(os.path.dirname(config_path), "health.json")
    healthy = {lb["name"]: dict.fromkeys(lb["backends"], False) for lb in balancers}
    failures = {lb["name"]: dict.fromkeys(lb["backends"], 0) for lb in balancers}
    interval = min(float(lb["probe"]["interval_s"]) for lb in balancers)
    applied = None
    rounds = 0
    begun = time.monotonic()
    while True:
        started = time.monotonic()
        for lb in balancers:
            for backend in lb["backends"]:
                if probe(config["source"], backend, lb["probe"]):
                    failures[lb["name"]][backend] = 0
                    healthy[lb["name"]][backend] = True
                else:
                    failures[lb["name"]][backend] += 1
                    if failures[lb["name"]][backend] >= int(lb["probe"]["unhealthy_threshold"]):
                        healthy[lb["name"]][backend] = False
        text = ruleset(balancers, healthy)
        if text != applied:
            subprocess.run(["nft", "-f", "-"], input=text, text=True, check=False)
            applied = text
        rounds += 1
        temporary = health_path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"rounds": rounds, "healthy": healthy}, handle)
        os.replace(temporary, health_path)
        # Until every backend has answered once (the lab is still starting them), probe quickly.
        all_up = all(up for backends in healthy.values() for up in backends.values())
        starting = time.monotonic() - begun < STARTUP_S and not all_up
        pause = STARTUP_PROBE_S if starting else interval
        time.sleep(max(0.0, pause - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
