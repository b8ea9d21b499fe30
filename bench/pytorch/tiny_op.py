"""PyTorch's cost of one tiny op, measured as tapegrad's criterion benchmarks `tape/` measure
it (`cargo bench -p tapegrad-bench --bench ops -- tape/`): a chain of 100 `[1]`-tensor × scalar
ops, recorded and back-propagated (and, separately, under no_grad). Half a second of warm-up,
then chains for `--seconds`; prints the median chain's time per op, in ns, for each.

    python bench/pytorch/tiny_op.py --threads 1
"""
import json

import torch

from timing import median_seconds, timing_args

CHAIN = 100


def recorded(x):
    y = x
    for _ in range(CHAIN):
        y = y * 1.0001
    y.backward()
    x.grad = None


def no_grad(x):
    with torch.no_grad():
        y = x
        for _ in range(CHAIN):
            y = y * 1.0001
    return y


def per_op_ns(f, x, seconds, warm_up):
    return median_seconds(lambda: f(x), seconds, warm_up) / CHAIN * 1e9


def main():
    args = timing_args(3.0)
    x = torch.ones(1, requires_grad=True)
    res = {
        "recorded_ns": per_op_ns(recorded, x, args.seconds, args.warm_up),
        "no_grad_ns": per_op_ns(no_grad, x, args.seconds, args.warm_up),
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
