"""PyTorch's 1024³ f32 matrix product, timed as criterion times tapegrad's
(`cargo bench -p tapegrad-bench --bench ops -- matmul_forward/1024`): a warm-up of half a
second, then calls for `--seconds`, the median call reported in GFLOP/s. bench/compare.sh runs
it in rounds that alternate with tapegrad's, so both see the same load on a shared machine.

    python bench/pytorch/matmul.py --threads 2 --seconds 3.7
"""
import torch

from timing import median_seconds, timing_args


def main():
    args = timing_args(3.7)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    t = median_seconds(lambda: a @ b, args.seconds, args.warm_up)
    print(f"{2 * 1024 ** 3 / t / 1e9:.2f}")


if __name__ == "__main__":
    main()
