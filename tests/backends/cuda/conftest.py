"""CPU tests of the CUDA backend need NVRTC (the `cuda` extra); GPU tests also a device."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    from graphc.backends.cuda import nvrtc

    if nvrtc.available():
        return
    skip = pytest.mark.skip(reason="NVRTC is not installed: pip install graphc[cuda]"
                                   " (cuda-bindings, nvidia-cuda-nvrtc)")
    for item in items:
        if "tests/backends/cuda" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)
