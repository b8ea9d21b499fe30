"""The timing protocol of the PyTorch side of bench/compare.sh, the one criterion applies to
tapegrad's side: calls for `warm_up` seconds, then calls for `seconds` (at least ten), and the
median call's time."""
import argparse
import statistics
import time

import torch


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


def timing_args(seconds):
    """The command line of a timing script (`--threads`, `--seconds`, `--warm-up`), with
    PyTorch set to that many threads."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--warm-up", type=float, default=0.5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    return args
