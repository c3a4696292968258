"""What running BPMN Python in a worker process costs: N evaluations in the service's own
process (sandbox only) against N through a worker (a10flow.engine.sandbox.isolated), for a condition
over small data and a script over a task with 200 variables.

    .venv/bin/python bench/evaluations.py [N]
"""
import sys
import time
from datetime import datetime, timezone

from a10flow.engine.sandbox import isolated, scope

NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
SMALL = {"amount": 1500, "tier": "high"}
LARGE = {f"field_{i}": {"answer": "yes", "score": i, "notes": "x" * 40} for i in range(200)}
CASES = [("condition, 2 variables", "eval", "amount > 1000 and tier == 'high'", SMALL),
         ("script, 200 variables", "exec", "total = sum(v['score'] for v in [field_1, field_2, field_3])", LARGE)]


def per_second(n, run):
    run()   # the worker starts outside the timing
    started = time.perf_counter()
    for _ in range(n):
        run()
    return n / (time.perf_counter() - started)


def main(n):
    print("| case | in process | worker process | cost per evaluation |\n| --- | --- | --- | --- |")
    for label, kind, source, data in CASES:
        here = per_second(n, lambda: scope.run_here(kind, source, data, None, NOW))
        there = per_second(n, lambda: getattr(isolated, "evaluate" if kind == "eval" else "execute")(
            source, data, None, NOW))
        print(f"| {label} | {here:,.0f}/s | {there:,.0f}/s | +{(1 / there - 1 / here) * 1e6:,.0f} µs |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
