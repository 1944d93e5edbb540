"""The on-disk cache of compiled object code, shared by the backends that compile.

An entry is keyed on everything the machine code depends on: for the LLVM backend the
module's LLVM IR (which encodes the graph and the options), graphc's version, LLVM's
version, and the host CPU's name and features; for the CUDA backend the CUDA C source,
NVRTC's version, its options and the device's architecture. Entries are written atomically
and carry a checksum, so a torn or corrupt file is detected and recompiled; each entry
records its full key, so a file copied or linked from another key is never loaded.
`GRAPHC_CACHE_DIR` moves the cache (default `~/.cache/graphc`); `GRAPHC_CACHE=off` turns it
off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

MAGIC = b"graphc-object-v2\n"
KEY_BYTES = 64  # a key is a sha256 in hex
MAX_BYTES = 1 << 28  # no module's object code comes near this; a larger file is not an entry


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
    """The cached object code for key `entry`, or None if absent or not a valid entry.

    Only a regular file of bounded size is read (not a link, a device or a pipe), and only one
    that records this very key and whose checksum matches; anything else is removed, so the
    caller compiles and stores a good entry in its place.
    """
    directory = cache_dir()
    if directory is None:
        return None
    path = directory / f"{entry}.o"
    blob = _read_regular(path)
    if blob is None:
        return None
    header = len(MAGIC) + KEY_BYTES + 32
    key, checksum, obj = blob[len(MAGIC):len(MAGIC) + KEY_BYTES], blob[header - 32:header], blob[header:]
    if (blob.startswith(MAGIC) and len(blob) > header and key == entry.encode()
            and hashlib.sha256(key + obj).digest() == checksum):
        return obj
    _remove(path)
    return None


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file of at most MAX_BYTES; a link or any other
    kind of file is removed (the cache only ever writes regular files), None if absent."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError:  # a symbolic link (O_NOFOLLOW), or unreadable
        _remove(path)
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES:
            try:
                return handle.read(MAX_BYTES + 1)
            except OSError:
                return None
    _remove(path)
    return None


def _remove(path: Path) -> None:
    # Another process may have removed it, or the folder is read-only: then we just do not use it.
    with contextlib.suppress(OSError):
        path.unlink()


def store(entry: str, obj: bytes) -> None:
    """Write an entry atomically (a temporary file renamed into place); never raises."""
    directory = cache_dir()
    if directory is None:
        return
    key = entry.encode()
    assert len(key) == KEY_BYTES, entry
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".o")
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + key + hashlib.sha256(key + obj).digest() + obj)
        os.replace(tmp, directory / f"{entry}.o")
    except OSError:
        pass  # a read-only or full disk only costs a recompilation next time
