"""Tables (Markdown) and plots (PNG) from compare.py's results.json.

    python3 benches/compare/report.py [benches/compare/out/results.json]

compare.py calls write() at the end of a run; run this alone to redo the
tables and plots from a saved results.json.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

# compare.py's results.json, parsed; median MB/s by (engine, threads).
Results = dict[str, Any]
Speed = dict[tuple[str, int], float]

TYPES = ["SSN", "CREDIT_CARD", "EMAIL", "PHONE", "IP_ADDRESS"]

# Display order: mailshield first, then the peers.
ORDER = [
    "mailshield-default", "mailshield-seed", "mailshield-cli",
    "hyperscan-native-nosom", "hyperscan-native", "hyperscan-py",
    "re2-py", "seed-ref", "presidio-4", "presidio-5",
]


def mbps(results: Results) -> Speed:
    """{(engine, threads): median MB/s} from the rounds' seconds."""
    out = {}
    for key, secs in results["seconds"].items():
        name, threads = key.split("|")
        out[(name, int(threads))] = (results["bytes"][name]
                                     / statistics.median(secs) / 1e6)
    return out


def spread(
    results: Results,
) -> dict[tuple[str, int], tuple[float, float]]:
    """{(engine, threads): (min, max) MB/s over the rounds}."""
    out = {}
    for key, secs in results["seconds"].items():
        name, threads = key.split("|")
        b = results["bytes"][name]
        out[(name, int(threads))] = (b / max(secs) / 1e6,
                                     b / min(secs) / 1e6)
    return out


def baseline(name: str) -> str:
    """The mailshield figure a peer is compared with (same bytes)."""
    return "mailshield-default@slice" if name.startswith(
        "presidio") else "mailshield-default"


def throughput_table(results: Results, speed: Speed) -> str:
    threads = results["threads"]
    lo, hi = threads[0], threads[-1]
    rng = spread(results)
    rows = [
        f"| engine | MB/s, {lo} core | MB/s, {hi} cores | scaling "
        f"| default / engine, {lo} / {hi} "
        f"| seed / engine, {lo} / {hi} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = [n for n in ORDER if (n, lo) in speed]
    names += [n for n, t in speed if t == lo and n not in names]
    for name in names:
        one, all_ = speed[(name, lo)], speed[(name, hi)]
        ratios = []
        for pack in ("default", "seed"):
            base = baseline(name).replace("default", pack)
            r1 = speed[(base, lo)] / one
            r2 = speed[(base, hi)] / all_
            ratios.append(f"{r1:,.2f} / {r2:,.2f}")
        a, b = rng[(name, lo)]
        c, d = rng[(name, hi)]
        rows.append(
            f"| {name} | {fmt(one)} ({fmt(a)}-{fmt(b)}) | {fmt(all_)} "
            f"({fmt(c)}-{fmt(d)}) | {all_ / one:.2f}x | "
            + " | ".join(ratios) + " |")
    return "\n".join(rows)


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.1f}"
    return f"{x:.3f}"


def accuracy_table(results: Results) -> str:
    acc = results["accuracy"]
    rows = [
        "| engine | " + " | ".join(TYPES) + " | other types |",
        "|---|" + "---|" * len(TYPES) + "---|",
    ]
    names = [n for n in ORDER if n in acc]
    names += sorted(n for n in acc if n not in names)
    for name in names:
        cells = []
        for t in TYPES:
            r = acc[name].get(t)
            if r is None or not r["findings"] and not r["labels"]:
                cells.append("-")
                continue
            if not r["findings"]:
                # Nothing found: precision is undefined, not 1.
                cells.append(f"- / {r['recall']:.3f} / -")
                continue
            cells.append(f"{r['precision']:.3f} / {r['recall']:.3f} / "
                         f"{r['f1']:.3f}")
        other = {t: r["findings"] for t, r in acc[name].items()
                 if t not in TYPES}
        cells.append(", ".join(f"{t} {n}" for t, n in other.items())
                     or "none")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def write(results: Results, md_path: Path, plots: Path) -> None:
    speed = mbps(results)
    loads = results["loadavg"]
    c = results["corpus"]
    text = [
        f"Run of {results['date']}: corpus seed {c['seed']}, "
        f"{c['records']:,} records, {c['body_bytes']:,} bytes of bodies; "
        f"Presidio on the first {c['presidio_slice_records']:,} bodies "
        f"({c['presidio_slice_bytes']:,} bytes), compared with mailshield "
        f"on the same slice. {results['rounds']} interleaved rounds; "
        f"load average at the start of each round and at the end: "
        + ", ".join(f"{x:.2f}" for x in loads) + ".",
        "",
        "Throughput (median MB/s, range over the rounds in brackets):",
        "",
        throughput_table(results, speed),
        "",
        "Accuracy (precision / recall / F1, SPEC.md section 8):",
        "",
        accuracy_table(results),
        "",
        "Time against size (mailshield, one core, interleaved rounds):",
        "",
        "| pack | shape | MB | best s | median s | MB/s at best "
        "| MB/s at median |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in results["sizes"]:
        best, med = min(s["rounds_s"]), statistics.median(s["rounds_s"])
        text.append(f"| {s['pack']} | {s.get('shape', 'messages')} "
                    f"| {s['bytes'] / 1e6:.1f} | "
                    f"{best:.4f} | {med:.4f} | "
                    f"{s['bytes'] / best / 1e6:.0f} | "
                    f"{s['bytes'] / med / 1e6:.0f} |")
    if results["changes"]:
        text += ["", "Changes to the peers' patterns:", ""]
        text += [f"- {x}" for x in results["changes"]]
    text += ["", "Versions: " + ", ".join(
        f"{k} {v.strip()}" for k, v in results["versions"].items())]
    Path(md_path).write_text("\n".join(text) + "\n")
    plot(results, speed, Path(plots))


def plot(results: Results, speed: Speed, plots: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots.mkdir(exist_ok=True)
    threads = results["threads"]
    lo, hi = threads[0], threads[-1]
    names = [n for n in ORDER if (n, lo) in speed]
    colour = {n: ("tab:blue" if n.startswith("mailshield") else
                  "tab:orange" if n.startswith("hyperscan") else "tab:gray")
              for n in names}

    # Throughput by engine, log scale, both thread counts.
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=80)
    ys = range(len(names))
    h = 0.4
    for k, (t, alpha) in enumerate(((lo, 0.55), (hi, 1.0))):
        vals = [speed[(n, t)] for n in names]
        bars = ax.barh([y + (k - 0.5) * h for y in ys], vals, h,
                       color=[colour[n] for n in names], alpha=alpha,
                       label=f"{t} {'core' if t == 1 else 'cores'}")
        for b, v in zip(bars, vals):
            ax.text(v * 1.1, b.get_y() + h / 2, fmt(v), va="center",
                    fontsize=8)
    ax.set_xscale("log")
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.set_xlabel("MB/s (log scale)")
    ax.set_xlim(right=max(speed.values()) * 6)
    ax.set_title("Throughput by engine (median; Presidio on a 1 MB slice)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(plots / "throughput-by-engine.png")
    plt.close(fig)

    # Throughput by thread count: the speedup of all cores over one.
    fig, ax = plt.subplots(figsize=(7, 4.4), dpi=80)
    ups = [speed[(n, hi)] / speed[(n, lo)] for n in names]
    bars = ax.barh(list(ys), ups, 0.6, color=[colour[n] for n in names])
    for b, u, n in zip(bars, ups, names):
        ax.text(u + 0.03, b.get_y() + 0.3,
                f"{u:.2f}x  ({fmt(speed[(n, lo)])} -> "
                f"{fmt(speed[(n, hi)])} MB/s)", va="center", fontsize=8)
    ax.axvline(hi / lo, ls="--", color="black", lw=1)
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.set_xlim(0, hi / lo * 1.6)
    ax.set_xlabel(f"throughput on {hi} threads / on {lo} "
                  "(processes for Python engines)")
    ax.set_title("Throughput by thread count (median; dashed: linear)")
    fig.tight_layout()
    fig.savefig(plots / "throughput-by-threads.png")
    plt.close(fig)

    # Time against input size: straight lines through the origin are
    # linear scaling; a curve is not.
    fig, ax = plt.subplots(figsize=(7, 4.4), dpi=80)
    series = [("default", "messages", "tab:blue", "o-"),
              ("seed", "messages", "tab:cyan", "o-"),
              ("default", "one body", "tab:red", "s--"),
              ("seed", "one body", "tab:purple", "s--")]
    for pack, shape, c, style in series:
        pts = sorted((s["bytes"] / 1e6, min(s["rounds_s"]))
                     for s in results["sizes"] if s["pack"] == pack
                     and s.get("shape", "messages") == shape)
        if not pts:
            continue
        xs, ys_ = zip(*pts)
        ax.plot(xs, ys_, style, color=c,
                label=f"{pack} pack, {shape} "
                f"({xs[-1] / ys_[-1]:.0f} MB/s at {xs[-1]:.0f} MB)")
    ax.set_xlabel("MB of bodies")
    ax.set_ylabel("seconds, one core (best of the rounds)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title("mailshield: scan time against input size")
    fig.tight_layout()
    fig.savefig(plots / "time-vs-size.png")
    plt.close(fig)

    # Accuracy by engine: F1 per type; engines with the same scores share
    # a bar (the guide's patterns give the same answer in every engine).
    acc = results["accuracy"]
    groups = {}
    for n in (n for n in ORDER if n in acc):
        key = tuple(round(acc[n].get(t, {}).get("f1", 0), 4) for t in TYPES)
        groups.setdefault(key, []).append(n)
    fig, ax = plt.subplots(figsize=(9, 4), dpi=80)
    w = 0.8 / len(groups)
    cmap = plt.get_cmap("tab10")
    for k, (f1, members) in enumerate(groups.items()):
        label = "\n".join(members)
        ax.bar([x + k * w for x in range(len(TYPES))], f1, w,
               label=label, color=cmap(k))
    ax.set_xticks([x + 0.4 - w / 2 for x in range(len(TYPES))], TYPES)
    ax.set_ylabel("F1 against the labels")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("Accuracy by engine (F1 per type)")
    fig.tight_layout()
    fig.savefig(plots / "accuracy-by-engine.png")
    plt.close(fig)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        here / "out/results.json")
    results = json.loads(path.read_text())
    write(results, here / "out/results.md", here / "plots")
    print((here / "out/results.md").read_text())
