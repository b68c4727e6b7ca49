"""Several Python threads on one JointFilter: the single-thread results, and the calls
overlap in time, which they cannot unless the GIL is released around the C++ work."""

import threading
import time

import numpy as np

import svlrm
from conftest import smooth_pair


def run_threads(fn, inputs):
    results, spans = [None] * len(inputs), [None] * len(inputs)
    barrier = threading.Barrier(len(inputs))

    def work(i):
        barrier.wait()
        t0 = time.perf_counter()
        results[i] = fn(*inputs[i])
        spans[i] = (t0, time.perf_counter())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, spans


def overlapping(spans):
    """Whether some call started before another one ended (a held GIL would serialise them)."""
    spans = sorted(spans)
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def test_threads_share_one_joint_filter():
    f = svlrm.JointFilter(svlrm.Model.bundled("depth_restore"), backend=svlrm.available_backends()[0])
    inputs = [smooth_pair(seed, 160, 200) for seed in range(4)]
    alone = [f.apply(g, s) for g, s in inputs]
    results, spans = run_threads(f.apply, inputs)
    for a, r in zip(alone, results):
        np.testing.assert_array_equal(a, r)
    assert overlapping(spans)


def test_threads_run_the_baselines_in_parallel():
    inputs = [smooth_pair(seed, 600, 600) for seed in range(3)]
    alone = [svlrm.guided_filter(g, s, 8, 1e-2) for g, s in inputs]
    results, spans = run_threads(lambda g, s: svlrm.guided_filter(g, s, 8, 1e-2), inputs)
    for a, r in zip(alone, results):
        np.testing.assert_array_equal(a, r)
    assert overlapping(spans)


def test_python_runs_while_a_filter_runs():
    """A pure-Python counter in another thread advances during one long filter call;
    with the GIL held it could not run until the call returned."""
    f = svlrm.JointFilter(svlrm.Model.bundled("depth_restore"), backend="reference")
    g, s = smooth_pair(9, 256, 256)
    done = threading.Event()
    counter = [0]

    def count():
        while not done.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    n0 = counter[0]
    f.apply(g, s)
    n1 = counter[0]
    done.set()
    t.join()
    assert n1 - n0 > 1000
