"""`python -m aclnet_core.bench --model M --backend …`: the model benchmark alone (same options as `main.py bench`)."""

from __future__ import annotations

import argparse
import logging
import sys

from aclnet_core.errors import UserError
from aclnet_core.export.cli import add_model_bench_args, run_model_bench_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aclnet_core.bench", description="Benchmark a model's backends.")
    add_model_bench_args(parser)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        args = parser.parse_args(argv)
        if args.vs_baseline:
            from aclnet_core.export.cli import run_vs_baseline_cli
            if args.backends and len(args.backends) > 1:
                raise UserError("--vs-baseline takes one --backend: torch-cpu or onnxruntime-cpu")
            return run_vs_baseline_cli(args, (args.backends or ["auto"])[0])
        return run_model_bench_cli(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
