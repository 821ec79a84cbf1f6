"""Running programs inside a lab namespace, and finding and stopping every one of them again.

Programs are started with ``nsenter --net`` (which execs, so the PID we record is the program's)
in their own session, so they outlive ``hybridnet up`` and ignore the terminal's Ctrl-C. Deleting
a namespace does not stop what runs in it, so ``stop_all`` kills by PID first: the recorded ones,
any other process whose network namespace is one of the lab's, and the lab's own programs found
by what they run (``started_for``) — never a process that merely mentions the lab.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from hybridnet.emulate.errors import LabError
from hybridnet.emulate.netns import namespace_path
from hybridnet.waiting import poll_until


def command_in(namespace: str, argv: Sequence[str]) -> list[str]:
    return ["nsenter", f"--net={namespace_path(namespace)}", "--", *argv]


def spawn(namespace: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running program in ``namespace`` with its output in ``log`` (0600)."""
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            command_in(namespace, argv),
            stdin=subprocess.DEVNULL,
            stdout=descriptor,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**_base_environment(), **(env or {})},
        )
    except FileNotFoundError as exc:
        raise LabError(
            f"cannot start {argv[0]}: {exc.strerror}", fix="install the lab's packages (scripts/setup.sh)"
        ) from None
    finally:
        os.close(descriptor)


def run(
    namespace: str,
    argv: Sequence[str],
    timeout: float = 30.0,
    input_text: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command in ``namespace`` to completion and capture its output."""
    try:
        return subprocess.run(
            command_in(namespace, argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            env={**_base_environment(), **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(exc.cmd, 124, _text(exc.stdout), _text(exc.stderr) + "\n(timed out)")


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _base_environment() -> dict[str, str]:
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def in_namespaces(inodes: Iterable[int]) -> list[int]:
    """PIDs of every process whose network namespace is one of ``inodes``."""
    wanted = set(inodes)
    found = []
    if not wanted:
        return found
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry.name}/ns/net").st_ino in wanted:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


FRR_DAEMONS = Path("/usr/lib/frr")
CHARON_DAEMON = Path("/usr/sbin/charon-systemd")
PACKAGE_PREFIXES = {os.fsencode(p) + b"/" for p in (Path(__file__).parents[1], Path(__file__).resolve().parents[1])}
"""hybridnet's own directory: the lab's agents (servers, prober, probes) run scripts or modules from it."""


def started_for(directory: Path, namespace_prefix: str) -> list[int]:
    """PIDs of programs a lab starts, recognised by what they run *and* the lab they belong to.

    Catches a lab daemon whose namespace was already unmounted (``in_namespaces`` cannot see it)
    without touching anything else that merely names the lab's directory, such as a user's
    ``tail -f /run/hybridnet/<lab>/...``. A lab process is ``nsenter`` into one of the lab's
    namespaces (before it execs the daemon), an FRR daemon or charon configured from the lab's
    directory, or one of hybridnet's agents writing into it.
    """
    lab_files = f"{directory}/".encode()
    lab_namespaces = f"--net={namespace_path(namespace_prefix)}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
            if _is_lab_program(entry.name, argv, lab_files, lab_namespaces):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _is_lab_program(pid: str, argv: list[bytes], lab_files: bytes, lab_namespaces: bytes) -> bool:
    program = Path(os.fsdecode(argv[0])) if argv and argv[0] else None
    if program is None:
        return False
    if program.name == "nsenter":
        return any(argument.startswith(lab_namespaces) for argument in argv[1:])
    if program.parent == FRR_DAEMONS:
        return any(lab_files in argument for argument in argv[1:])
    if program == CHARON_DAEMON:  # its only tie to the lab is STRONGSWAN_CONF
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        return any(variable.startswith(b"STRONGSWAN_CONF=" + lab_files) for variable in environment)
    if program.name.startswith("python"):
        ours = any(
            argument.startswith(b"hybridnet.") or any(argument.startswith(prefix) for prefix in PACKAGE_PREFIXES)
            for argument in argv[1:]
        )
        return ours and any(lab_files in argument for argument in argv[1:])
    return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def stop_all(pids: Iterable[int], grace_s: float = 0.5) -> list[int]:
    """SIGTERM, a short grace period polled every 20 ms, then SIGKILL; returns PIDs that survived."""
    pending = {pid for pid in pids if pid != os.getpid()}
    for pid in pending:
        _signal(pid, signal.SIGTERM)

    def all_gone() -> bool:
        _reap(pending)
        pending.intersection_update({pid for pid in pending if alive(pid)})
        return not pending

    if not poll_until(all_gone, grace_s, 0.02):
        for pid in pending:
            _signal(pid, signal.SIGKILL)
        poll_until(all_gone, 2.0, 0.02)
    return sorted(pending)


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _reap(pids: set[int]) -> None:
    """Collect our own children so they do not linger as zombies (others are reaped by init)."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
