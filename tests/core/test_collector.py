"""core.collector: the cyclic collector paused for a batch, and everything as it was after."""

import gc
import threading
import weakref

from core.collector import collector_paused


class Node:
    def __init__(self):
        self.other = self  # a cycle: only the cyclic collector frees it


def test_the_collector_is_off_inside_and_back_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_cycle_made_inside_is_collected_when_the_body_ends():
    with collector_paused():
        node = Node()
        gone = weakref.ref(node)
        del node
        # Enough allocations to start many automatic collections, were the collector on.
        _churn = [[index] for index in range(50_000)]
        assert gone() is not None
    assert gone() is None


def test_nested_bodies_resume_the_collector_only_at_the_outermost_end():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_the_body_still_brings_the_collector_back():
    try:
        with collector_paused():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_two_threads_pause_it_together_and_the_last_one_out_resumes_it():
    inside, release = threading.Barrier(2), threading.Event()
    states = []

    def body():
        with collector_paused():
            inside.wait()
            release.wait()
        states.append(gc.isenabled())

    first = threading.Thread(target=body)
    first.start()
    with collector_paused():
        inside.wait()
        release.set()
        first.join()
        # The other thread has left; this one has not: still paused.
        assert states == [False]
        assert not gc.isenabled()
    assert gc.isenabled()
