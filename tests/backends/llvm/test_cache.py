"""The compile cache: in memory per process, on disk across processes, robust to corruption."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import graphc
from graphc.backends import cache
from graphc.backends.llvm import jit

ROOT = Path(__file__).resolve().parents[3]

PROGRAM = """
import json, numpy as np, graphc
from graphc.backends.llvm import jit
x = graphc.placeholder("x", ("n",))
f = graphc.function([x], graphc.tanh(x) * 3.0 - x, backend="llvm")
print(json.dumps({"stats": jit.ENGINE.stats, "value": f(np.arange(4, dtype=np.float32)).tolist()}))
"""


def run_fresh_process(cache_dir: Path, **env) -> dict:
    environment = {**os.environ, "GRAPHC_CACHE_DIR": str(cache_dir), **env}
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                          cwd=ROOT, env=environment, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_object_code_from_disk(tmp_path):
    first = run_fresh_process(tmp_path)
    second = run_fresh_process(tmp_path)
    # three objects: the kernel, the math library's tanh it calls, and `graphc.enter`
    assert first["stats"]["compiled"] == 3 and first["stats"]["disk"] == 0
    assert second["stats"]["disk"] == 3 and second["stats"]["compiled"] == 0
    assert second["value"] == first["value"]
    expected = (np.tanh(np.arange(4, dtype=np.float32)) * 3 - np.arange(4)).tolist()
    np.testing.assert_allclose(second["value"], expected, rtol=1e-6)


def test_a_corrupt_entry_is_detected_and_recompiled(tmp_path):
    first = run_fresh_process(tmp_path)
    entries = sorted(tmp_path.glob("*.o"))
    for entry in entries:
        data = bytearray(entry.read_bytes())
        data[-10] ^= 0xFF  # flip bits in the object code: the checksum no longer matches
        entry.write_bytes(bytes(data))
    again = run_fresh_process(tmp_path)
    assert again["stats"]["compiled"] == len(entries) == 3 and again["stats"]["disk"] == 0
    assert again["value"] == first["value"]
    assert all(cache.MAGIC in entry.read_bytes() for entry in entries)  # rewritten whole


def test_a_truncated_entry_is_recompiled(tmp_path):
    run_fresh_process(tmp_path)
    entry = max(tmp_path.glob("*.o"), key=lambda p: p.stat().st_size)
    entry.write_bytes(entry.read_bytes()[:20])
    stats = run_fresh_process(tmp_path)["stats"]
    assert stats["compiled"] == 1 and stats["disk"] == 2


def test_the_cache_can_be_turned_off(tmp_path):
    result = run_fresh_process(tmp_path, GRAPHC_CACHE="off")
    assert result["stats"]["compiled"] == 3
    assert not list(tmp_path.glob("*.o"))


def test_the_same_graph_compiles_once_per_process():
    x = graphc.placeholder("x", ("n",))
    before = dict(jit.ENGINE.stats)
    f = graphc.function([x], graphc.sin(x) + 1.25, backend="llvm")
    g = graphc.function([x], graphc.sin(x) + 1.25, backend="llvm")
    assert jit.ENGINE.stats["memory"] == before["memory"] + 1
    data = np.linspace(-3, 3, 11, dtype=np.float32)
    np.testing.assert_array_equal(f(data), g(data))


def test_the_key_changes_with_the_host_and_version():
    ir_text = "define void @f() { ret void }"
    assert cache.key(ir_text, "cpu-a", "1") != cache.key(ir_text, "cpu-b", "1")
    assert cache.key(ir_text, "cpu-a", "1") != cache.key(ir_text, "cpu-a", "2")
    assert cache.key(ir_text, "cpu-a", "1") == cache.key(ir_text, "cpu-a", "1")


def _entry(text: str) -> str:
    return cache.key(text, "host", "version")


def test_an_entry_records_its_key_and_one_copied_from_another_key_is_dropped(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    a, b = _entry("module a"), _entry("module b")
    cache.store(a, b"object code of a")
    cache.store(b, b"object code of b")
    assert cache.load(a) == b"object code of a"
    (tmp_path / f"{a}.o").write_bytes((tmp_path / f"{b}.o").read_bytes())  # valid checksum, wrong key
    assert cache.load(a) is None
    assert not (tmp_path / f"{a}.o").exists()  # dropped, so a good entry is written next time
    assert cache.load(b) == b"object code of b"


def test_links_pipes_and_huge_files_are_never_read(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHC_CACHE_DIR", str(tmp_path))
    link, pipe, huge = _entry("link"), _entry("pipe"), _entry("huge")
    (tmp_path / f"{link}.o").symlink_to("/dev/zero")  # read whole, it would never end
    os.mkfifo(tmp_path / f"{pipe}.o")  # opened for reading, it would block
    with open(tmp_path / f"{huge}.o", "wb") as handle:
        handle.truncate(cache.MAX_BYTES + 1)  # sparse: no disk used
    for entry in (link, pipe, huge):
        assert cache.load(entry) is None
        assert not os.path.lexists(tmp_path / f"{entry}.o")


def test_swapped_entries_in_a_fresh_process_are_recompiled_not_run(tmp_path):
    first = run_fresh_process(tmp_path)
    entries = sorted(tmp_path.glob("*.o"))  # the kernel's, tanh's and graphc.enter's object code
    codes = [entry.read_bytes() for entry in entries]
    for entry, code in zip(entries, codes[1:] + codes[:1]):
        entry.write_bytes(code)  # each file holds another module, with a valid checksum
    again = run_fresh_process(tmp_path)
    assert again["stats"]["disk"] == 0 and again["stats"]["compiled"] == 3
    assert again["value"] == first["value"]
