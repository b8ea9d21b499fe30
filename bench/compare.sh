#!/usr/bin/env bash
# Runs tapegrad's criterion benchmarks and the same workloads in PyTorch on this machine, at 1
# and 2 threads, and writes the comparison table into BENCHMARKS.md (between the
# "compare:begin" and "compare:end" markers). Installs PyTorch in a local virtualenv if absent.
# CI does not run this.
#
#     bench/compare.sh            # about 8 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(scripts/torch-venv.sh)
out=target/compare
mkdir -p "$out"

for t in 1 2; do
  echo "== PyTorch, $t thread(s)"
  "$PY" bench/pytorch/train_step.py --threads "$t" --out "$out/pytorch-$t.json"
  echo "== tapegrad, $t thread(s)"
  TAPEGRAD_NUM_THREADS=$t cargo bench -p tapegrad-bench --bench train_step -- --noplot >"$out/tapegrad-train-$t.log" 2>&1
  TAPEGRAD_NUM_THREADS=$t cargo bench -p tapegrad-bench --bench ops -- --noplot 'tape/' >"$out/tapegrad-ops-$t.log" 2>&1
  # Keep criterion's estimates of this thread count before the next run overwrites them.
  "$PY" - "$t" <<'PY'
import json, sys, pathlib
t = sys.argv[1]
root = pathlib.Path("target/criterion")
est = lambda p: json.loads((root / p / "new" / "estimates.json").read_text())["median"]["point_estimate"]
names = ["W1_xor", "W2_digits", "W3_mnist", "W4_wide", "W5_linreg", "W6_digits_cnn", "W7_sort_transformer"]
res = {n: est(f"train_step/{n}") / 1000.0 for n in names}
res["tiny_op_ns"] = est("tape/tiny_op_forward_backward") / 100
res["tiny_op_no_grad_ns"] = est("tape/tiny_op_forward_no_grad") / 100
pathlib.Path(f"target/compare/tapegrad-{t}.json").write_text(json.dumps(res))
print(res)
PY
done

# One tiny op in PyTorch, timed as criterion times tapegrad's (per-op overhead; one thread).
"$PY" bench/pytorch/tiny_op.py --threads 1 >"$out/pytorch-tiny.json"

# The matrix product, in rounds that alternate tapegrad and PyTorch (each about 4 s of timing,
# measured the same way), so that a change in the neighbours' load on a shared machine
# reaches both sides; the table shows the median round of each.
for t in 1 2; do
  : >"$out/matmul-$t.txt"
  for round in 1 2 3; do
    echo "== matmul 1024³, $t thread(s), round $round"
    TAPEGRAD_NUM_THREADS=$t cargo bench -p tapegrad-bench --bench ops -- --noplot 'matmul_forward/1024' >>"$out/tapegrad-ops-$t.log" 2>&1
    tg=$("$PY" -c 'import json; e = json.load(open("target/criterion/matmul_forward/1024/new/estimates.json")); print("%.2f" % (2 * 1024**3 / e["median"]["point_estimate"]))')
    pt=$("$PY" bench/pytorch/matmul.py --threads "$t")
    echo "tapegrad $tg GFLOP/s, PyTorch $pt GFLOP/s"
    echo "$tg $pt" >>"$out/matmul-$t.txt"
  done
done

"$PY" - <<'PY'
import json, pathlib, platform, statistics, subprocess, datetime
load = lambda p: json.loads(pathlib.Path(p).read_text())
rows = []
targets = {"W1_xor": 0.05, "W2_digits": 0.25, "W3_mnist": 0.8, "W4_wide": 1.0, "W5_linreg": 0.05, "W6_digits_cnn": 0.5, "W7_sort_transformer": 0.5}
for name, target in targets.items():
    cells = [name]
    for t in (1, 2):
        tg, pt = load(f"target/compare/tapegrad-{t}.json")[name], load(f"target/compare/pytorch-{t}.json")["median_us"][name]
        ratio = tg / pt
        cells += [f"{tg:,.1f}", f"{pt:,.1f}", f"**{ratio:.3f}** {'✓' if ratio <= target else '✗'}"]
    cells.append(f"≤ {target}")
    rows.append("| " + " | ".join(cells) + " |")
mm = []
for t in (1, 2):
    rounds = [tuple(map(float, l.split())) for l in pathlib.Path(f"target/compare/matmul-{t}.txt").read_text().split("\n") if l.strip()]
    tg, pt = statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)
    spread = lambda side: f"{min(r[side] for r in rounds):.0f}–{max(r[side] for r in rounds):.0f}"
    r = tg / pt
    mm.append(f"| matmul 1024³ f32, {t} thread(s), median of {len(rounds)} alternating rounds | {tg:.1f} GFLOP/s ({spread(0)}) | {pt:.1f} GFLOP/s ({spread(1)}) | **{r:.2f}×** {'✓' if r >= 0.95 else '✗'} (≥ 0.95×) |")
ours = load("target/compare/tapegrad-1.json")
theirs = load("target/compare/pytorch-tiny.json")
tiny = ours["tiny_op_ns"]
tiny_rows = [
    f"| one tiny op recorded, forward + backward, 1 thread | {tiny:.0f} ns | {theirs['recorded_ns']:,.0f} ns | {theirs['recorded_ns'] / tiny:.0f}× faster; target ≤ 100 ns {'✓' if tiny <= 100 else '✗'} |",
    f"| one tiny op under no_grad, 1 thread | {ours['tiny_op_no_grad_ns']:.0f} ns | {theirs['no_grad_ns']:,.0f} ns | {theirs['no_grad_ns'] / ours['tiny_op_no_grad_ns']:.0f}× faster |",
]
cpu = subprocess.run(["sh", "-c", "lscpu | grep 'Model name' | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
info = pathlib.Path("/proc/cpuinfo").read_text() if pathlib.Path("/proc/cpuinfo").exists() else ""
field = lambda k: next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.split(":")[0].strip() == k), "?")
flags = field("flags").split()
cpu += f" (family {field('cpu family')}, model {field('model')}, {'AVX-512' if 'avx512f' in flags else 'AVX2, no AVX-512'})"
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
torch_v = load("target/compare/pytorch-1.json")["torch"]
table = f"""Measured by `bench/compare.sh` on {datetime.date.today()}: {cpu}, {platform.machine()}, 2 cores; {rustc}; PyTorch {torch_v} (CPU wheel). Median µs per full training step; ratio = tapegrad / PyTorch in the same run.

| workload | tapegrad 1T | PyTorch 1T | ratio 1T | tapegrad 2T | PyTorch 2T | ratio 2T | target |
|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + f"""

| other target | tapegrad | PyTorch | ratio |
|---|---|---|---|
""" + "\n".join(mm + tiny_rows) + "\n"
path = pathlib.Path("BENCHMARKS.md")
text = path.read_text()
begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
head, rest = text.split(begin)
_, tail = rest.split(end)
path.write_text(head + begin + "\n" + table + end + tail)
print(table)
PY
