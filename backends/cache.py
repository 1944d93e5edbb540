"""The on-disk cache of compiled object code, shared by the backends that compile.

An entry is keyed on everything the machine code depends on: for the LLVM backend the
module's LLVM IR (which encodes the graph and the options), graphc's version, LLVM's
version, and the host CPU's name and features; for the CUDA backend the CUDA C source,
NVRTC's version, its options and the device's architecture. Entries are written
atomically and carry a checksum, so a torn or corrupt file is detected and recompiled.
`GRAPHC_CACHE_DIR` moves the cache (default `~/.cache/graphc`); `GRAPHC_CACHE=off` turns it
off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

MAGIC = b"graphc-object-v1\n"


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is off (read at each use)."""
    if os.environ.get("GRAPHC_CACHE", "").lower() in ("0", "off", "false", "no"):
        return None
    configured = os.environ.get("GRAPHC_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "graphc"


def key(ir_text: str, host: str, version: str) -> str:
    digest = hashlib.sha256()
    for part in (ir_text, host, version):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load(entry: str) -> bytes | None:
    """The cached object code for `entry`, or None if absent, unreadable or corrupt."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        blob = (directory / f"{entry}.o").read_bytes()
    except OSError:
        return None
    header = len(MAGIC) + 32
    if not blob.startswith(MAGIC) or len(blob) < header:
        return None
    checksum, obj = blob[len(MAGIC):header], blob[header:]
    if hashlib.sha256(obj).digest() != checksum:
        return None
    return obj


def store(entry: str, obj: bytes) -> None:
    """Write an entry atomically (a temporary file renamed into place); never raises."""
    directory = cache_dir()
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".o")
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + hashlib.sha256(obj).digest() + obj)
        os.replace(tmp, directory / f"{entry}.o")
    except OSError:
        pass  # a read-only or full disk only costs a recompilation next time
