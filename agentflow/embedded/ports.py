"""Port checks that fail early with the name of the flag that changes the port."""

from __future__ import annotations

import socket

from agentflow.errors import AgentFlowError


class PortInUse(AgentFlowError):
    code = "port_in_use"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_free(host: str, port: int, *, what: str, flag: str) -> None:
    if not port_is_free(host, port):
        raise PortInUse(f"Port {port} on {host} is already in use ({what}); choose another with {flag} PORT.")


def free_port(host: str = "127.0.0.1") -> int:
    """An ephemeral port that is free right now (used by tests and benchmarks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.1)
    return False
