"""PyTorch's throughput on the op-surface workloads of `cargo bench --bench ops`
(elementwise_1M and sort_1M groups): 1M f32, one thread, median of repeated runs.
Prints JSON {name: Gelem/s}. Used by bench/ops_vs_pytorch.sh."""
import json
import time

import torch

torch.set_num_threads(1)
g = torch.Generator().manual_seed(0)
n = 1 << 20
a = torch.randn(n, generator=g)
b = torch.randn(n, generator=g)
mask = a > b
work = {
    "exp": lambda: a.exp(),
    "sin": lambda: a.sin(),
    "sigmoid": lambda: a.sigmoid(),
    "gt": lambda: a > b,
    "gt_scalar": lambda: a > 0.5,
    "where_cond": lambda: torch.where(mask, a, b),
    "sort": lambda: a.sort(),
}
out = {"torch": torch.__version__}
for name, f in work.items():
    f()
    reps = 5 if name == "sort" else 200
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    times.sort()
    out[name] = n / times[len(times) // 2] / 1e9
print(json.dumps(out))
