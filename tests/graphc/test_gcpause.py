"""The collector is paused while graphc compiles and differentiates, and resumes as it was."""

from __future__ import annotations

import gc
import threading

import graphc
from graphc.gcpause import paused_gc


def test_compiling_pauses_the_collector_and_restores_it():
    seen = []
    x = graphc.placeholder("x", (3,))
    original = graphc.Graph.verify

    def spy(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return original(self, *args, **kwargs)

    graphc.Graph.verify = spy
    try:
        graphc.function([x], graphc.sin(x) * 2.0)
    finally:
        graphc.Graph.verify = original
    assert seen and not any(seen) and gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_resume_once_the_last_ends():
    inner_done, outer_may_end = threading.Event(), threading.Event()
    states = []

    def other():
        with paused_gc():
            outer_may_end.set()
            inner_done.wait()
        states.append(gc.isenabled())

    with paused_gc():
        thread = threading.Thread(target=other)
        thread.start()
        outer_may_end.wait()
    states.append(gc.isenabled())  # the other pause still runs
    inner_done.set()
    thread.join()
    assert states == [False, True]
