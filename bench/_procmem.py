"""Memory readings of this process from /proc (Linux), shared by the memory benchmarks."""

from __future__ import annotations


def status() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB (from /proc/self/status)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024 / 1e6
    return out


def reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
