"""Model speed benchmarks: latency and throughput of each inference backend against batch size."""

from aclnet_core.bench.model_bench import BenchRow, run_model_bench

__all__ = ["BenchRow", "run_model_bench"]
