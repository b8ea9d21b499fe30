#!/usr/bin/env bash
# Elementwise, comparison, where and sort throughput on 1M f32 (one thread), tapegrad's
# criterion benchmarks beside PyTorch in the same run; prints a Markdown table for
# BENCHMARKS.md. About 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/torch-venv.sh)
TAPEGRAD_NUM_THREADS=1 cargo bench -p tapegrad-bench --bench ops -- --noplot 'elementwise_1M|sort_1M' >target/ops-vs-pytorch.log 2>&1
"$PY" bench/pytorch/ops_1m.py >target/ops-vs-pytorch.json
"$PY" - <<'PY'
import json, pathlib
pt = json.loads(pathlib.Path("target/ops-vs-pytorch.json").read_text())
root = pathlib.Path("target/criterion")
est = lambda p: json.loads((root / p / "new" / "estimates.json").read_text())["median"]["point_estimate"]
n = 1 << 20
goals = {"exp": 2, "sin": 2, "sigmoid": 2, "gt": 4, "gt_scalar": 4, "where_cond": 4}
print(f"| op (1M f32, 1 thread) | tapegrad Gelem/s | PyTorch {pt['torch']} Gelem/s | goal |")
print("|---|---|---|---|")
for name, goal in goals.items():
    tg = n / est(f"elementwise_1M/{name}")
    print(f"| {name} | {tg:.2f} {'✓' if tg >= goal else '✗'} | {pt[name]:.2f} | ≥ {goal} |")
ours, std = est("sort_1M/tapegrad_sort"), est("sort_1M/std_sort_unstable_by")
print(f"| sort (values + indices) | {n / ours:.3f} ({ours / std:.2f}× `sort_unstable_by` {'✓' if ours / std <= 2 else '✗'}) | {pt['sort']:.3f} | ≤ 2× `sort_unstable_by` |")
PY
