#!/usr/bin/env python3
"""Turns latchkey-load's JSON lines (one per phase, label = peer | sqlite | postgres) into the
comparison table of docs/benchmarks.md: rate, p50/p99, ratio to the peer measured in the same
run, server CPU per operation and RSS; then the no-collapse check (the highest concurrency
keeps >= 90% of the lowest's rate, p99 <= 4x p50) and the issue's targets.

Usage: summary.py RESULTS.jsonl [IDLE_RSS.json]"""
import json
import sys

TARGETS = {  # phase -> (SQLite, PostgreSQL) minimum ratio to the peer
    "flow": (2.0, 1.5),
    "refresh": (1.5, 1.3),
    "introspect": (2.5, 2.0),
    "discovery": (2.0, 2.0),
    "jwks": (2.0, 2.0),
}


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{") and '"result"' in line:
                rows.append(json.loads(line))
    return rows


def main():
    rows = load(sys.argv[1])
    idle = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
    by = {(r["label"], r["phase"], r["concurrency"]): r for r in rows}
    labels = [l for l in ("peer", "sqlite", "postgres") if any(k[0] == l for k in by)]
    labels += sorted({k[0] for k in by} - set(labels))
    phases = [p for p in TARGETS if any(k[1] == p for k in by)]
    levels = sorted({k[2] for k in by})
    print("| scenario | clients | " + " | ".join(labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    misses = []
    for phase in phases:
        for c in levels:
            peer = by.get(("peer", phase, c))
            cells = []
            for label in labels:
                r = by.get((label, phase, c))
                if not r:
                    cells.append("-")
                    continue
                cell = f"{r['rate']:,.0f}/s, p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms"
                if r["errors"]:
                    cell += f", {r['errors']} errors"
                if r.get("cpu_us_per_op") is not None:
                    cell += f", {r['cpu_us_per_op']:.0f} µs CPU/op"
                if peer and label != "peer" and peer["rate"] > 0:
                    ratio = r["rate"] / peer["rate"]
                    cell = f"**{ratio:.2f}x** " + cell
                    want = TARGETS[phase][0 if label == "sqlite" else 1]
                    if label in ("sqlite", "postgres") and ratio < want:
                        misses.append(f"{label} {phase} at {c}: {ratio:.2f}x < {want}x")
                cells.append(cell)
            print(f"| {phase} | {c} | " + " | ".join(cells) + " |")
    if len(levels) > 1:
        lo, hi = levels[0], levels[-1]
        print(f"\nNo collapse ({hi} clients vs {lo}: rate >= 90%, p99 <= 4x p50):")
        for label in labels:
            for phase in phases:
                a, b = by.get((label, phase, lo)), by.get((label, phase, hi))
                if not a or not b or a["rate"] == 0:
                    continue
                keep = b["rate"] / a["rate"]
                tail = b["p99_ms"] / b["p50_ms"] if b["p50_ms"] else 0
                ok = keep >= 0.9 and tail <= 4
                print(f"- {label} {phase}: {keep:.0%} of the rate, p99 {tail:.1f}x p50 {'ok' if ok else 'MISS'}")
                if not ok and label != "peer":
                    misses.append(f"{label} {phase} collapses at {hi}")
    print("\nMemory (RSS, MB): idle / highest under load")
    for label in labels:
        peak = max((r["rss_mb"] or 0 for k, r in by.items() if k[0] == label), default=0)
        print(f"- {label}: {idle.get(label, 0):.1f} / {peak:.1f}")
        if label in ("sqlite", "postgres") and (idle.get(label, 0) > 30 or peak > 100):
            misses.append(f"{label} RSS over 30 MB idle / 100 MB under load")
    print("\nTargets missed: " + ("none" if not misses else ""))
    for m in misses:
        print(f"- {m}")


if __name__ == "__main__":
    main()
