"""Starting and talking to the real daemons of one node: FRR (zebra, bgpd, bfdd, staticd) and charon.

FRR: one instance per namespace without pathspaces; every daemon gets explicit paths inside the
node's private directory (pid files, ``zserv.api``, vty sockets, ``bfdd.sock``, logs), runs as root
(the lab directory is 0700; group frrvty satisfies FRR's vty-group check) with a bounded fd
table, and the node's integrated ``frr.conf`` (the rendered file users deploy) is pasted into
``vtysh`` once the daemons listen. Until then a "gate" (nftables) refuses BGP connections, so no
peer ever meets an unconfigured bgpd and backs off. State is read straight from the daemons' vty
sockets (JSON), which costs a millisecond instead of a vtysh process.

strongSwan: ``charon-systemd`` (no PID file, stays in the foreground) with ``STRONGSWAN_CONF``
pointing at the node's own strongswan.conf: its own VICI socket and log file, ``kernel-libipsec``
for user-space ESP, configs loaded with ``swanctl --load-all`` over that socket.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vici

from hybridnet.emulate import processes
from hybridnet.emulate.errors import LabError
from hybridnet.waiting import wait_until

FRR_BIN = Path("/usr/lib/frr")
CHARON = Path("/usr/sbin/charon-systemd")
LIBIPSEC_ROUTING_TABLE = 220
POLL_S = 0.02
VICI_EVENTS = ("ike-updown", "child-updown", "ike-rekey", "child-rekey")

Recorder = Callable[[str, subprocess.Popen[bytes]], None]


class FrrInstance:
    """The FRR of one node: its directory layout, start-up and vtysh access."""

    def __init__(self, node: str, namespace: str, directory: Path, daemons: tuple[str, ...]) -> None:
        self.node = node
        self.namespace = namespace
        self.directory = directory
        self.run_dir = directory / "frr"
        self.config = directory / "frr.conf"
        self.daemons = daemons

    def argv(self, daemon: str) -> list[str]:
        run = self.run_dir
        argv = [
            str(FRR_BIN / daemon),
            "-u",
            "root",
            "-g",
            "frrvty",
            "-f",
            "/dev/null",
            "-i",
            str(run / f"{daemon}.pid"),
            "-z",
            str(run / "zserv.api"),
            "--vty_socket",
            str(run),
            "-P",
            "0",
            "--limit-fds",
            "1024",
            "--log",
            f"file:{run / (daemon + '.log')}",
            "--log-level",
            "informational",
        ]
        if daemon == "bfdd":
            argv += ["--bfdctl", str(run / "bfdd.sock")]
        return argv

    def start(self, record: Recorder) -> None:
        self.run_dir.mkdir(mode=0o700, exist_ok=True)
        record("zebra", processes.spawn(self.namespace, self.argv("zebra"), self.run_dir / "zebra.out"))
        wait_until(lambda: (self.run_dir / "zserv.api").exists(), 10, POLL_S, what=f"zebra of {self.node} to listen",
                   error=LabError)
        for daemon in self.daemons[1:]:
            record(daemon, processes.spawn(self.namespace, self.argv(daemon), self.run_dir / f"{daemon}.out"))
        for daemon in self.daemons:
            wait_until(lambda d=daemon: (self.run_dir / f"{d}.vty").exists(), 10, POLL_S,
                       what=f"{daemon} of {self.node} to listen", error=LabError)

    def configure(self) -> None:
        """Apply the node's integrated frr.conf by pasting it into ``configure terminal``.

        ``vtysh -f`` would do the same, but it brackets the file as a configuration transaction
        after which bgpd keeps its peers on hold for about four seconds; pasted line by line (as
        an operator would) the peers start after bgpd's ordinary one-second start timer.
        """
        problems = self._paste(self.config.read_text(encoding="utf-8"), timeout_s=30)
        if problems is not None:
            raise LabError(f"FRR on {self.node} rejected its configuration: {problems}", fix=f"see {self.config}")

    def apply(self, commands: list[str]) -> None:
        """Type ``commands`` into ``configure terminal``, as an operator would (a running change)."""
        problems = self._paste("\n".join(commands) + "\nend\n", timeout_s=15)
        if problems is not None:
            raise LabError(f"FRR on {self.node} refused {'; '.join(commands)}: {problems}")

    def _paste(self, lines: str, timeout_s: float) -> str | None:
        """``lines`` pasted into vtysh's ``configure terminal``; what FRR objected to (None: nothing)."""
        try:
            result = subprocess.run(["vtysh", "--vty_socket", str(self.run_dir)],
                                    input="configure terminal\n" + lines, capture_output=True, text=True,
                                    timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise LabError(f"vtysh on {self.node} did not finish within {timeout_s:.0f} s") from None
        problems = [line.strip() for line in (result.stdout + result.stderr).splitlines()
                    if line.lstrip().startswith("%") or "Unknown command" in line]
        if result.returncode != 0 or problems:
            return "; ".join(problems[:3]) or f"vtysh exited {result.returncode}"
        return None

    def close_gate(self) -> None:
        """Refuse BGP connections (TCP reset) until this node's bgpd is configured.

        An FRR bgpd that does not know a peer yet accepts its connection and drops it, and the
        peer then backs off (1, 2, 4 s...) before it tries again; a refused SYN only costs the peer
        one connect-retry (1 s), and this node connects out itself once it is configured.
        """
        result = processes.run(self.namespace, ["nft", "-f", "-"], input_text=_BGP_GATE)
        if result.returncode != 0:
            raise LabError(f"cannot hold BGP back on {self.node}: {result.stderr.strip()}")

    def open_gate(self) -> None:
        """Accept BGP connections again: this node's bgpd now knows its peers."""
        processes.run(self.namespace, ["nft", "delete", "table", "inet", "hybridnet_bgp_gate"])

    def show(self, command: str, daemon: str = "bgpd") -> Any:
        """Run a ``show ... json`` command on one daemon; parsed JSON ({} if the daemon is gone)."""
        client = VtyClient(self.run_dir / f"{daemon}.vty", timeout_s=5.0)
        try:
            return first_document(client.command(command), daemon)
        finally:
            client.close()

    def session(self) -> FrrSession:
        """A session that keeps one vty socket per daemon open between commands (for polling)."""
        return FrrSession(self.run_dir)

    def restart(self, daemon: str, record: Recorder, timeout_s: float = 15.0) -> None:
        """Start a killed daemon again and give it its configuration, as an operator would.

        FRR's integrated configuration lives in vtysh's paste, not in the daemon, so a restarted
        bgpd comes up empty: the node's frr.conf is pasted again once the daemon listens.
        """
        if daemon not in self.daemons:
            raise LabError(f"{self.node} does not run {daemon}")
        socket_path = self.run_dir / f"{daemon}.vty"
        socket_path.unlink(missing_ok=True)
        record(daemon, processes.spawn(self.namespace, self.argv(daemon), self.directory / f"{daemon}-restart.out"))
        wait_until(socket_path.exists, timeout_s, POLL_S, what=f"{daemon} on {self.node} to start again",
                   error=LabError)
        self.configure()


class VtyClient:
    """A daemon's vty socket spoken to as vtysh does: a command ends in NUL, the answer in three
    NULs and a status byte. About a millisecond per command on a kept socket, where starting vtysh
    costs tens of milliseconds of CPU — which, on a small machine, the daemons need while the lab
    converges and the probes need while a drill measures. A daemon that is gone answers ""."""

    def __init__(self, path: Path, timeout_s: float = 2.0) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._socket: socket.socket | None = None

    def command(self, command: str) -> str:
        for _attempt in range(2):  # a kept socket may have been closed by a restarted daemon: once more
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX)
                    self._socket.settimeout(self._timeout_s)
                    self._socket.connect(str(self._path))
                    self._exchange("enable")  # some show commands (bfdd's) exist only there
                return self._exchange(command)
            except OSError:
                self.close()
        return ""

    def _exchange(self, command: str) -> str:
        assert self._socket is not None
        self._socket.sendall(command.encode() + b"\0")
        answer = b""
        while len(answer) < 4 or answer[-4:-1] != b"\0\0\0":
            piece = self._socket.recv(1 << 16)
            if not piece:
                raise ConnectionResetError("the daemon closed its vty")
            answer += piece
        return answer[:-4].decode("utf-8", "replace")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def daemon_for(command: str) -> str:
    """The FRR daemon that answers a ``show`` command: bfdd for BFD, bgpd for BGP, zebra for the rest."""
    return "bfdd" if command.startswith("show bfd") else "bgpd" if "bgp" in command else "zebra"


def parse_documents(text: str) -> list[Any]:
    """The JSON documents a daemon printed one after another."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return documents
        try:
            document, position = decoder.raw_decode(text, position)
        except ValueError:
            return documents
        documents.append(document)


def first_document(text: str, daemon: str) -> Any:
    """A ``show ... json`` answer parsed; an empty one ([] from bfdd, {} from the others) when the
    daemon did not answer or printed no JSON."""
    documents = parse_documents(text) if text else []
    return documents[0] if documents else ([] if daemon == "bfdd" else {})


class FrrSession:
    """``show`` commands on one node's FRR over kept vty sockets (one per daemon); ``close`` ends it."""

    def __init__(self, run_dir: Path) -> None:
        self._run_dir = run_dir
        self._clients: dict[str, VtyClient] = {}

    def show(self, command: str) -> Any:
        daemon = daemon_for(command)
        client = self._clients.get(daemon)
        if client is None:
            client = self._clients[daemon] = VtyClient(self._run_dir / f"{daemon}.vty")
        return first_document(client.command(command), daemon)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


VICI_TIMEOUT_S = 10.0


class CharonInstance:
    """The strongSwan charon of one node (an on-prem VPN appliance or an Azure VPN gateway instance)."""

    def __init__(self, node: str, namespace: str, directory: Path) -> None:
        self.node = node
        self.namespace = namespace
        self.directory = directory
        self.conf = directory / "strongswan.conf"
        self.swanctl = directory / "swanctl.conf"
        self.socket = directory / "charon.vici"
        self.log = directory / "charon.log"

    def start(self, record: Recorder) -> None:
        record(
            "charon",
            processes.spawn(
                self.namespace,
                [str(CHARON)],
                self.directory / "charon.out",
                env={"STRONGSWAN_CONF": str(self.conf)},
            ),
        )

    def wait_listening(self, timeout_s: float = 10) -> None:
        wait_until(self.socket.exists, timeout_s, POLL_S, what=f"charon of {self.node} to open its VICI socket",
                   error=LabError)

    def load(self) -> None:
        result = subprocess.run(
            [
                "swanctl",
                "--load-all",
                "--noprompt",
                "--file",
                str(self.swanctl),
                "--uri",
                f"unix://{self.socket}",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if result.returncode != 0:
            lines = [line for line in (result.stdout + result.stderr).splitlines() if "secret" not in line.lower()]
            raise LabError(
                f"swanctl could not load the IPsec configuration of {self.node}: {' '.join(lines[-3:])}",
                fix=f"see {self.swanctl} and {self.log}",
            )

    @contextmanager
    def session(self) -> Iterator[vici.Session]:
        """A VICI session; a charon that does not answer in time (a VPN gateway answering dozens of ends,
        its ESP in user space, can take seconds) or answers out of turn is a LabError, never a traceback."""
        connection = socket.socket(socket.AF_UNIX)
        connection.settimeout(VICI_TIMEOUT_S)
        try:
            connection.connect(str(self.socket))
            yield vici.Session(connection)
        except (OSError, vici.exception.SessionException) as exc:
            raise LabError(f"cannot reach charon of {self.node} over VICI: {exc}") from None
        finally:
            connection.close()

    def security_associations(self) -> list[dict[str, Any]]:
        """IKE SAs with their CHILD SAs, as plain strings (VICI answers with bytes)."""
        with self.session() as session:
            return [_decoded(sa) for sa in session.list_sas()]

    def initiate(self, child: str, timeout_ms: int = 10000) -> None:
        """Bring a CHILD SA (and its IKE SA) up now, as ``swanctl --initiate`` does."""
        with self.session() as session:
            for _log in session.initiate({"child": child, "timeout": timeout_ms}):
                pass

    def terminate(self, ike: str, timeout_ms: int = 10000) -> None:
        """Tear an IKE SA down (its peer sees a DELETE, as when a gateway instance goes away)."""
        with self.session() as session:
            for _log in session.terminate({"ike": ike, "timeout": timeout_ms}):
                pass

    def events(self, stop: threading.Event, kinds: Sequence[str] = VICI_EVENTS
               ) -> Iterator[tuple[str, dict[str, Any]]]:
        """IKE/CHILD SA events (up, down, rekeyed) as they happen, until ``stop`` is set: the one
        VICI event stream. Reconnects when charon restarts; checks ``stop`` every 0.2 s."""
        while not stop.is_set():
            connection = socket.socket(socket.AF_UNIX)
            try:
                connection.connect(str(self.socket))
                session = vici.Session(connection)
                for name, message in session.listen(list(kinds), timeout=0.2):
                    if stop.is_set():
                        return
                    if name is not None and message is not None:
                        yield _decoded(name), _decoded(message)
            except (OSError, vici.exception.SessionException, vici.exception.CommandException):
                stop.wait(0.5)
            finally:
                connection.close()

    def failure_reason(self) -> str | None:
        """Why the tunnel is not up, from charon's own log: the errors a user would look for."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for needle, reason in _FAILURES:
            if needle in text[-200_000:]:
                return reason
        return None


_BGP_GATE = """table inet hybridnet_bgp_gate {
    chain input {
        type filter hook input priority -10; policy accept;
        tcp dport 179 tcp flags & (syn | ack) == syn reject with tcp reset
    }
}
"""

_FAILURES = (
    ("AUTHENTICATION_FAILED", "IKE authentication failed: the pre-shared keys of the two ends differ"),
    ("MAC mismatched", "IKE authentication failed: the pre-shared keys of the two ends differ"),
    ("NO_PROPOSAL_CHOSEN", "no proposal chosen: the IKE/IPsec proposals of the two ends do not match"),
    ("no shared key found", "no pre-shared key configured for the peer"),
    ("TS_UNACCEPTABLE", "traffic selectors unacceptable: the two ends' selectors do not match"),
    ("giving up after", "the peer does not answer IKE (retransmissions exhausted)"),
)


def _decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, dict):
        return {_decoded(k): _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value
