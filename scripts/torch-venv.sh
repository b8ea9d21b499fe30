#!/usr/bin/env bash
# Creates (once) a virtualenv with PyTorch and safetensors for regenerating fixtures and for
# the PyTorch side of the benchmarks, and prints its python path.
# Usage: PY=$(scripts/torch-venv.sh) && $PY scripts/gen_fixtures.py
set -euo pipefail
venv="${TAPEGRAD_TORCH_VENV:-$(dirname "$0")/../bench/pytorch/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet torch safetensors numpy >&2
fi
echo "$(cd "$venv" && pwd)/bin/python"
