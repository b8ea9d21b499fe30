"""The timing protocol of the PyTorch side of bench/compare.sh, the one criterion applies to
tapegrad's side: calls for `warm_up` seconds, then calls for `seconds` (at least ten), and the
median call's time."""
import statistics
import time


def median_seconds(f, seconds, warm_up):
    deadline = time.perf_counter() + warm_up
    while time.perf_counter() < deadline:
        f()
    ts = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(ts) < 10:
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)
