#!/usr/bin/env bash
# The figures of BENCHMARKS.md, "Build and test times": a fresh clone of a commit, an empty
# target directory each time, and for each command its wall time and the crates compiled.
#
#   scripts/build_times.sh            # HEAD
#   scripts/build_times.sh b0a1ccd    # any commit, for the "before" column
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=${1:-HEAD}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/tapegrad"
git -C "$work/tapegrad" checkout -q "$rev"

# A first program a user writes: a dependency on tapegrad and a few lines of training.
mkdir -p "$work/hello/src"
cat >"$work/hello/Cargo.toml" <<EOF
[package]
name = "hello"
version = "0.1.0"
edition = "2024"

[dependencies]
tapegrad = { path = "$work/tapegrad" }
EOF
cat >"$work/hello/src/main.rs" <<'EOF'
use tapegrad::prelude::*;
use tapegrad::rand::{SeedableRng, rngs::StdRng};

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let model = nn::Sequential::new()
        .add(nn::Linear::new(4, 16, &mut rng))
        .add(nn::ReLU)
        .add(nn::Linear::new(16, 3, &mut rng));
    let mut opt = optim::Adam::new(model.parameters(), 1e-2);
    let x = Tensor::<f32>::randn(&[64, 4], &mut rng);
    let y = Tensor::<i64>::from_vec((0..64).map(|i| i % 3).collect(), &[64]);
    for _ in 0..100 {
        opt.zero_grad();
        let loss = loss::cross_entropy(&model.forward(&x), &y);
        loss.backward();
        opt.step();
    }
    println!("loss {:.4}", loss::cross_entropy(&model.forward(&x), &y).item());
}
EOF

# `measure NAME DIR COMMAND...`: runs COMMAND in DIR, prints seconds and `Compiling` lines.
measure() {
  local name=$1 dir=$2
  shift 2
  local start end log="$work/$name.log"
  start=$(date +%s.%N)
  (cd "$dir" && "$@") >"$log" 2>&1
  end=$(date +%s.%N)
  printf '%-28s %6.1f s  %3d crates\n' "$name" "$(echo "$end - $start" | bc)" \
    "$(grep -c '^ *Compiling' "$log" || true)"
}

readme_test='cargo test --workspace --lib --tests && cargo test --workspace --doc'
export CARGO_TARGET_DIR="$work/target-run"
measure "run digits, cold" "$work/tapegrad" cargo run --release --example digits
export CARGO_TARGET_DIR="$work/target-hello"
measure "hello-train, cold" "$work/hello" cargo run --release
export CARGO_TARGET_DIR="$work/target-test"
measure "test command, cold" "$work/tapegrad" sh -c "$readme_test"
measure "test command, warm" "$work/tapegrad" sh -c "$readme_test"
grep -E "merged doctests|^test result: ok. [0-9]{3}" "$work/test command, warm.log" || true
