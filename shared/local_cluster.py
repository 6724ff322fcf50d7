"""Several training processes on this machine, for tests, benchmarks and a first try of a cluster.

``cluster_env(mode, index, ports)`` is the environment that makes process ``index`` one of
``len(ports)`` workers on 127.0.0.1: ``TF_CONFIG`` for TensorFlow's ``multi_worker``, Keras'
``KERAS_DISTRIBUTION_*`` variables for JAX's ``data_parallel`` (the coordinator on the first
port). ``wait_all`` waits for the processes and never leaves one behind.
"""

from __future__ import annotations

import json
import socket
import time

MODES = ("tf", "jax")


def free_ports(count: int) -> list[str]:
    """``count`` TCP ports free on 127.0.0.1 right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [str(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_env(mode: str, index: int, ports: list[str]) -> dict:
    """Environment variables for process ``index`` of a ``len(ports)``-process cluster on 127.0.0.1."""
    if mode == "tf":
        return {"KERAS_BACKEND": "tensorflow",
                "TF_CONFIG": json.dumps({"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
                                         "task": {"type": "worker", "index": int(index)}})}
    if mode == "jax":
        return {"KERAS_BACKEND": "jax", "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{ports[0]}",
                "KERAS_DISTRIBUTION_NUM_PROCESSES": str(len(ports)), "KERAS_DISTRIBUTION_PROCESS_ID": str(index)}
    raise ValueError(f"The 'mode' parameter of cluster_env must be one of {', '.join(MODES)}; got {mode!r}.")


def wait_all(processes, timeout: float = 300, grace: float = 2) -> list[int]:
    """Wait for every ``subprocess.Popen`` in ``processes``; return their exit codes.

    Once one has failed, the others (stuck in a collective operation without it) get ``grace``
    seconds before they are killed; all are killed at ``timeout``.
    """
    deadline = time.monotonic() + timeout
    try:
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            if any(p.poll() not in (None, 0) for p in processes):
                deadline = min(deadline, time.monotonic() + grace)
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    return [p.returncode for p in processes]
