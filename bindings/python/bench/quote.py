"""Quote cost per call from Python against the Rust in-process quote, in the same run.

    python bindings/python/bench/quote.py [CALLS]      # from the repository root

The Rust figures come from `examples/quote_bench.rs` (built here in release): the same
question through `pricebook::answer` (what the binding calls; the binding explains a price only
when `q.explain` is read) and through the table's exact quote alone. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pricebook

ROOT = Path(__file__).resolve().parents[3]


def best_of_five(calls: int, f) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(calls):
            f()
        best = min(best, (time.perf_counter_ns() - start) / calls)
    return best


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    os.chdir(ROOT)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "quote_bench"], check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    rust = json.loads(subprocess.run([str(target / "release/examples/quote_bench"), str(calls)],
                                     check=True, capture_output=True, text=True).stdout)
    book = pricebook.load("pricebooks/hedra")
    quote = book.quote
    python_ns = best_of_five(calls, lambda: quote(plan="creator", product="sora-2-pro", quantity="90 second"))
    # Reading the answer too: the charge as a decimal.Decimal.
    read_ns = best_of_five(calls, lambda: quote(plan="creator", product="sora-2-pro", quantity="90 second").charge.amount)
    print(json.dumps({
        "calls": calls,
        "python_quote_ns": round(python_ns),
        "python_quote_and_decimal_ns": round(read_ns),
        "rust_answer_ns": rust["answer_without_explain_ns"],
        "rust_answer_with_explain_ns": rust["answer_ns"],
        "rust_table_ns": rust["table_ns"],
        "python_over_rust_answer": round(python_ns / rust["answer_without_explain_ns"], 2),
    }))


if __name__ == "__main__":
    main()
