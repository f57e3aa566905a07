#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py CONSOLE_LOG OUT_DIR: the table of `make bench`.

Reads the "lbdx_bench: ..." lines that tests/guest/bench.sh and
lbdx_offload_bench.ko printed on the guest console, and writes to OUT_DIR:
results.txt (the table: medians, ratios, targets, what ran where, printed
too), sweep.dat (throughput vs size, one column per configuration, for
the plot) and crossover (the size where the CPU stops winning, or "none").
Only ratios between runs of the same boot mean anything (TCG guest).
"""
import collections
import statistics
import sys

CONFIGS = ["cpu", "fast", "slow", "ec", "rr", "oracle", "ecd", "ec0", "ef"]
SWEEP_CONFIGS = CONFIGS[:5]
ALONE = ["cpu", "fast", "slow"]
CONFIG_TEXT = {
    "cpu": "CPU alone",
    "fast": "fast DXE alone",
    "slow": "slow DXE alone",
    "ec": "all, earliest-completion (drive costs as the layer learnt them)",
    "rr": "all, round-robin",
    "oracle": "all, weighted: the best static split of this boot's search",
    "ecd": "all, earliest-completion told each engine's CPU time per request"
           " (drive_cost_ns, measured alone in this boot)",
    "ec0": "all, earliest-completion not told any drive cost (drive_cost_ns 0)",
    "ef": "all, engines-first (the CPU takes no request an engine does sooner alone)",
}


def parse(path):
    """Returns (records, info lines, kernel lines)."""
    records, info, kmsg = [], [], []
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.strip().replace("\r", "")
            if line.startswith("kmsg: "):
                kmsg.append(line[6:])
                continue
            at = line.find("lbdx_bench: ")
            if at < 0:
                continue
            words = line[at + len("lbdx_bench: "):].split()
            if not words:
                continue
            rec = {"kind": words[0], "_text": " ".join(words[1:])}
            for w in words[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    rec[k] = v
            records.append(rec)
            info.append(" ".join(words))
    return records, info, kmsg


def med(values):
    return statistics.median(values) if values else None


def human(n):
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


def main():
    log, out = sys.argv[1], sys.argv[2]
    records, info, kmsg = parse(log)
    lines = []
    say = lines.append
    rows = []  # (figure, ours, baseline, ratio, range, target, within, alt.)

    def row(figure, ours, base, ratio, target, within, noisy=None, ratios=None):
        """ratios: the per-repetition ratios whose median is ratio; their
        lowest and highest make the range column."""
        spread = (f"{min(ratios):.3g}-{max(ratios):.3g}x" if ratios and len(ratios) > 1
                  else "-")
        rows.append((figure, ours, base,
                     "n/a" if ratio is None else f"{ratio:.3g}x", spread, target,
                     "-" if within is None else ("yes" if within else "NO"),
                     "-" if noisy is None else f"{noisy:.3g}x"))

    errors = [r for r in records if r["kind"] == "error"]
    bad = [r for r in records if r.get("verify") == "bad"]
    start = next((r for r in records if r["kind"] == "start"), {})
    roles = next((r for r in records if r["kind"] == "roles"), {})

    # P1: ns per request, lbdx vs async_tx, per mode. Per repetition the
    # best block of each (undisturbed cost) and the total (with whatever
    # the host did meanwhile); the ratio is the median over repetitions of
    # the per-repetition ratio (A and B adjacent in time).
    p1 = collections.defaultdict(list)
    p1_rep = collections.defaultdict(dict)
    for r in records:
        if r["kind"] == "p1" and "best_ns_per_req" in r:
            best = float(r["best_ns_per_req"])
            total = int(r["ns"]) / int(r["reqs"])
            p1[(r["mode"], r["impl"])].append(best)
            p1_rep[(r["mode"], r["rep"])][r["impl"]] = (best, total)
    for mode, text in (("wait", "submit + wait"), ("burst", "callback burst")):
        ours, base = med(p1[(mode, "lbdx")]), med(p1[(mode, "async_tx")])
        pairs = [d for (m, _), d in p1_rep.items()
                 if m == mode and "lbdx" in d and "async_tx" in d]
        ratios = [d["lbdx"][0] / d["async_tx"][0] for d in pairs]
        ratio = med(ratios)
        noisy = med([d["lbdx"][1] / d["async_tx"][1] for d in pairs])
        row(f"P1 64 B copy, {text} (cpu-only)",
            f"{ours:.0f} ns/req" if ours else "n/a",
            f"{base:.0f} ns/req async_memcpy" if base else "n/a",
            ratio, "<= 1.20x", None if ratio is None else ratio <= 1.2, noisy, ratios)

    # P2: MB/s, ours / baseline (xor: the faster kernel way).
    p2 = collections.defaultdict(list)
    p2_rep = collections.defaultdict(dict)
    for r in records:
        if r["kind"] == "p2" and "best_ns" in r:
            best = int(r["bytes"]) * 1000 / max(int(r["best_ns"]), 1)
            total = int(r["bytes"]) * int(r["iters"]) * 1000 / max(int(r["ns"]), 1)
            p2[(r["op"], r["impl"])].append(best)
            p2_rep[(r["op"], r["rep"])][r["impl"]] = (best, total)
    p2_len = next((int(r["bytes"]) for r in records if r["kind"] == "p2"
                   and "bytes" in r), 1 << 20)
    for op, text, bases in (("copy", "copy", ["memcpy"]),
                            ("xor", "4-source xor", ["xor_gen_copy",
                                                     "xor_gen_zero"])):
        ours = med(p2[(op, "lbdx")])
        # The baseline is the kernel way with the better median.
        cands = [(med(p2[(op, b)]), b) for b in bases if p2[(op, b)]]
        base, bname = max(cands) if cands else (None, "-")
        pairs = [d for (o, _), d in p2_rep.items()
                 if o == op and "lbdx" in d and bname in d]
        ratios = [d["lbdx"][0] / d[bname][0] for d in pairs]
        ratio = med(ratios)
        noisy = med([d["lbdx"][1] / d[bname][1] for d in pairs])
        others = ", ".join(f"{b} {v:.0f}" for v, b in cands if b != bname)
        row(f"P2 {human(p2_len)} {text} (cpu-only, WILL_WAIT)",
            f"{ours:.0f} MB/s" if ours else "n/a",
            (f"{base:.0f} MB/s {bname}" + (f" ({others})" if others else ""))
            if base else "n/a",
            ratio, ">= 0.95x", None if ratio is None else ratio >= 0.95, noisy, ratios)

    # Stream results: tag = EXP/CONFIG/REP.
    stream = collections.defaultdict(list)   # (exp, cfg, size) -> [MB/s]
    share = collections.defaultdict(lambda: collections.defaultdict(int))
    busy = collections.defaultdict(list)     # (exp, cfg) -> [guest CPU busy %]
    # (exp, cfg) -> [requests, interrupts, context switches], summed
    events = collections.defaultdict(lambda: [0, 0, 0])
    for r in records:
        if r["kind"] == "stream" and "mbps" in r and r.get("tag", "").count("/") == 2:
            exp, cfg, _ = r["tag"].split("/")
            stream[(exp, cfg, int(r["size"]))].append(
                int(r["bytes"]) * 1000 / max(int(r["ns"]), 1))
        if r["kind"] == "share" and r.get("tag", "").count("/") == 2:
            exp, cfg, _ = r["tag"].split("/")
            share[(exp, cfg)][r["backend"]] += int(r["bytes"])
            events[(exp, cfg)][0] += int(r["requests"])
        if r["kind"] == "load" and r.get("tag", "").count("/") == 2:
            exp, cfg, _ = r["tag"].split("/")
            busy[(exp, cfg)].append(int(r["busy_pct"]))
            events[(exp, cfg)][1] += int(r.get("intr", 0))
            events[(exp, cfg)][2] += int(r.get("ctxt", 0))

    p3_size = int(roles.get("p3_size", 0) or 0)
    oracle = {r["exp"]: r for r in records if r["kind"] == "oracle"}

    def policy_rows(exp, size, what):
        """EC against round-robin, the oracle and the sum alone; the
        medians per configuration."""
        m = {c: med(stream[(exp, c, size)]) for c in CONFIGS}
        by_rep = collections.defaultdict(dict)
        for r in records:
            if (r["kind"] == "stream" and "mbps" in r and r.get("tag", "").startswith(exp + "/")
                    and r["tag"].count("/") == 2):
                _, cfg, rep = r["tag"].split("/")
                by_rep[rep][cfg] = int(r["bytes"]) * 1000 / max(int(r["ns"]), 1)
        def versus(base, label, target, ok, text, who="ec"):
            ours = m[who]
            name = {"ec": "earliest-completion", "ecd": "EC told CPU time",
                    "ec0": "EC without drive costs", "ef": "engines-first"}[who]
            full = [d for d in by_rep.values() if who in d and all(c in d for c in base)]
            if not ours or not full or not all(m[c] for c in base):
                row(f"{what}: {name} vs {label}", "n/a", "n/a", None, target, None)
                return
            ratios = [d[who] / sum(d[c] for c in base) for d in full]
            ratio = med(ratios)
            row(f"{what}: {name} vs {label}", f"{ours:.0f} MB/s", text, ratio,
                target, None if ok is None else ok(ratio), ours / sum(m[c] for c in base),
                ratios)

        w = oracle.get(exp, {}).get("best", "?")
        versus(["rr"], "round-robin", ">= 1.30x", lambda x: x >= 1.3,
               f"{m['rr'] or 0:.0f} MB/s round-robin")
        versus(["oracle"], "oracle", ">= 0.90x", lambda x: x >= 0.9,
               f"{m['oracle'] or 0:.0f} MB/s static {w} (cpu:fast:slow %)")
        versus(ALONE, "sum alone", "-", None,
               f"{sum(m[c] or 0 for c in ALONE):.0f} MB/s = " +
               " + ".join(f"{m[c] or 0:.0f} {c}" for c in ALONE))
        d = {r["engine"]: r.get("ns") for r in records
             if r["kind"] == "drive" and r.get("exp") == exp}
        learnt = {r["engine"]: r.get("ns") for r in records
                  if r["kind"] == "learnt" and r.get("exp") == exp}
        if m["ec0"]:
            versus(["oracle"], "oracle", "-", None,
                   f"{m['oracle'] or 0:.0f} MB/s static {w}", who="ec0")
            versus(["ec0"], "EC without drive costs", "-", None,
                   f"{m['ec0'] or 0:.0f} MB/s (learnt fast {learnt.get('fast', '?')} ns, "
                   f"slow {learnt.get('slow', '?')} ns)")
        if m["ecd"]:
            versus(["oracle"], "oracle", ">= 0.90x", lambda x: x >= 0.9,
                   f"{m['oracle'] or 0:.0f} MB/s static {w}", who="ecd")
            versus(["ec"], "earliest-completion", "-", None,
                   f"{m['ec'] or 0:.0f} MB/s (drive fast {d.get('fast', '?')} ns, "
                   f"slow {d.get('slow', '?')} ns)", who="ecd")
        if m["ef"]:
            versus(["oracle"], "oracle", "-", None,
                   f"{m['oracle'] or 0:.0f} MB/s static {w}", who="ef")
            versus(["ec"], "earliest-completion", "-", None,
                   f"{m['ec'] or 0:.0f} MB/s", who="ef")
        return m

    p3 = policy_rows("p3", p3_size, f"P3 {human(p3_size)} copies")
    mix = policy_rows("mix", 0, "Mix 64 B .. 1 MiB copies")

    # Sweep: medians per configuration and size; the crossover is the
    # smallest size from which some engine alone beats the CPU alone at
    # every larger size too.
    sizes = sorted({s for (e, _, s) in stream if e == "sweep"})
    sweep = {(c, s): med(stream[("sweep", c, s)]) for c in SWEEP_CONFIGS for s in sizes}
    crossover = None
    for i, s in enumerate(sizes):
        def engine_wins(t):
            cpu = sweep[("cpu", t)]
            eng = max(sweep[("fast", t)] or 0, sweep[("slow", t)] or 0)
            return cpu is not None and eng > cpu
        if all(engine_wins(t) for t in sizes[i:]):
            crossover = s
            break
    first = next((t for t in sizes if sweep[("cpu", t)] is not None and
                  max(sweep[("fast", t)] or 0, sweep[("slow", t)] or 0) > sweep[("cpu", t)]),
                 None)
    if sizes:
        row("Crossover: an engine alone beats the CPU alone from this size on",
            human(crossover) if crossover else "none up to " + human(sizes[-1]),
            "first beats it at " + (human(first) if first else "no size"),
            None, "-", None)

    # The table.
    reps = max([len(v) for v in p1.values()] + [len(v) for v in p2.values()] + [0])
    p3_reps = max([len(stream[("p3", c, p3_size)]) for c in CONFIGS] + [0])
    sw_reps = max([len(stream[("sweep", c, s)]) for c in SWEEP_CONFIGS for s in sizes] + [0])
    say("lbdx offload benchmarks: one VM boot (QEMU TCG, "
        f"{start.get('cpus', '?')} vCPUs, guest kernel {start.get('kernel', '?')}); "
        "ours vs baseline interleaved A B / B A;")
    say(f"medians of {reps} (P1, P2), {p3_reps} (P3) and {sw_reps} (sweep) "
        "repetitions; P1/P2 ratio = median of per-repetition ratios.")
    say("Only ratios mean anything under TCG. Not a test: no verdict.")
    say("")
    hdr = ("figure", "ours", "baseline", "ratio", "range", "target", "within",
           "alt. ratio")
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    say("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)).rstrip())
    say("  ".join("-" * w[i] for i in range(len(hdr))))
    for r in rows:
        say("  ".join(r[i].ljust(w[i]) for i in range(len(hdr))).rstrip())
    say("P1, P2: ours and baseline are best-of-block figures (the cost undisturbed by the")
    say("host, whose other VMs preempt the guest's vCPUs); alt. ratio: from whole blocks.")
    say("P3, mix: MB/s are medians; ratio: median of per-repetition ratios; alt.: ratio of medians.")
    say("range: the lowest and the highest per-repetition ratio (the spread of the host's noise).")
    say("The oracle's split was searched in this boot (cpu:fast:slow shares of the bytes) and is")
    say("then measured in every repetition beside the others.")
    say("")

    say("What ran where:")
    say(f"  engines: fast = {roles.get('fast', '?')}, slow = {roles.get('slow', '?')}, "
        "plus the CPU backend (\"cpu\");")
    for r in records:
        if r["kind"] == "backend":
            say(f"    {r.get('name')}: nominal {r.get('nominal_bw_mib')} MiB/s, "
                f"{r.get('channels')} channels")
    say("  P1, P2: policy cpu-only, in the insmod thread; baselines async_memcpy()"
        " (no DMA channel: synchronous memcpy), memcpy(), xor_gen()")
    say(f"  P3, sweep: {roles.get('threads', '?')} kthreads x {roles.get('window', '?')}"
        " copies in flight, callback-counted; configurations:")
    for c in CONFIGS:
        say(f"    {c:5} {CONFIG_TEXT[c]}")
    for exp, m, what in (("p3", p3, human(p3_size)), ("mix", mix, "64 B .. 1 MiB")):
        if not any(m.values()):
            continue
        say(f"  {exp} share of bytes per backend (sum over repetitions, {what}),"
            " guest CPU busy (median), interrupts and context switches per request:")
        for c in CONFIGS:
            sh = share[(exp, c)]
            tot = sum(sh.values()) or 1
            parts = ", ".join(f"{b} {100 * v / tot:.0f}%" for b, v in sorted(sh.items()))
            b = med(busy[(exp, c)])
            n, intr, ctxt = events[(exp, c)]
            load = (f"   busy {b:.0f}%, {intr / max(n, 1):.1f} intr, {ctxt / max(n, 1):.1f} ctxt"
                    if b is not None else "")
            say(f"    {c:6} {m[c] or 0:8.0f} MB/s   {parts}{load}")
        ys = [r for r in records if r["kind"] == "yields"
              and r.get("tag", "").startswith(exp + "/ec/")]
        if ys:
            gave = sum(1 for r in ys if r.get("cpu_yields") == "1")
            rates = ", ".join(f"{int(r.get('competing', '0')) / 1e6:.0f} / "
                              f"{int(r.get('yielding', '0')) / 1e6:.0f}" for r in ys)
            say(f"    ec's CPU gave way (cpu_yields) after {gave} of {len(ys)} repetitions; "
                f"measured competing / giving way, MB/s: {rates}")
        o = oracle.get(exp)
        if o:
            say(f"    oracle search: best {o.get('best')} at {o.get('mbps')} MB/s "
                f"({sum(1 for r in records if r['kind'] == 'stream' and r.get('tag', '').startswith(exp + '-oracle/'))} splits tried, "
                f"the best 3 run twice more: mean of 3)")
    if sizes:
        say("  Sweep, MB/s (median) per copy size; backend share of bytes "
            "under earliest-completion and round-robin over all sizes:")
        say("    " + "size".rjust(8) + "".join(c.rjust(9) for c in SWEEP_CONFIGS))
        for s in sizes:
            say("    " + human(s).rjust(8) + "".join(
                (f"{sweep[(c, s)]:9.1f}" if sweep[(c, s)] is not None else "      n/a")
                for c in SWEEP_CONFIGS))
        for c in ("ec", "rr"):
            sh = share[("sweep", c)]
            tot = sum(sh.values()) or 1
            say(f"    {c}: " + ", ".join(f"{b} {100 * v / tot:.0f}%"
                                        for b, v in sorted(sh.items())))
    pipe = [r for r in records if r["kind"] == "pipeline"]
    if pipe:
        eps = [float(r["eps"]) for r in pipe]
        viol = sum(int(r["atomic_violations"]) + int(r["order_violations"]) for r in pipe)
        say(f"HLB event pipeline in the VM (producer -> atomic -> ordered -> consumer, "
            f"{pipe[0]['events']} events, {len(pipe)} runs; for the record, TCG bounds it): "
            f"median {med(eps):.0f} events/s (min {min(eps):.0f}, max {max(eps):.0f}); "
            f"atomicity and order violations: {viol}")
    door = [r for r in records if r["kind"] == "door" and "way" in r]
    if door:
        say("lbdx_dma's front door: one copy at a time through dmaengine (prep, submit, "
            "issue_pending on an lbdx-dma.1 channel) against lbdx_async_memcpy() straight, "
            "medians of per-repetition means, ns per request:")
        for size in sorted({int(r["size"]) for r in door}):
            got = {}
            for way in ("dma", "lbdx"):
                rs = [r for r in door if r["way"] == way and int(r["size"]) == size]
                got[way] = (med([int(r["submit_ns"]) for r in rs]),
                            med([int(r["total_ns"]) for r in rs]))
            (sd, td), (sl, tl) = got["dma"], got["lbdx"]
            if None in (sd, td, sl, tl):
                continue
            say(f"    {human(size):>7}: submit {sd:8.0f} vs {sl:8.0f} (door adds {sd - sl:+.0f}); "
                f"to callback {td:8.0f} vs {tl:8.0f} (door adds {td - tl:+.0f}, "
                f"{td / max(tl, 1):.2f}x)")
    raid = [r for r in records if r["kind"] == "raid"]
    if raid:
        say("md RAID-5 over 4 brd disks in the VM, through lbdx_dma against async_tx's "
            "own software path (no channel), same boot; MB/s of array data, medians:")
        figures = {}
        for path in ("async_tx", "lbdx_dma"):
            runs = [r for r in raid if r["path"] == path]
            if not runs:
                continue
            mib = int(runs[0]["mib"])
            rs = med([mib * 1.048576 / (int(r["resync_cs"]) / 100) for r in runs
                      if int(r["resync_cs"]) > 0])
            wr = med([mib * 1.048576 / (int(r["write_cs"]) / 100) for r in runs
                      if int(r["write_cs"]) > 0])
            figures[path] = (rs, wr)
            say(f"    {path:9s} resync {rs or 0:8.1f}  write {wr or 0:8.1f}  ({len(runs)} runs)")
        taken = events[("raid", "lbdx_dma")][0]
        if "lbdx_dma" in figures and not taken:
            say("    no ratio: the layer took no request during the lbdx_dma runs "
                "(async_tx found no lbdx_dma channel; see the errors below)")
        elif len(figures) == 2 and all(figures["async_tx"]):
            (rs0, wr0), (rs1, wr1) = figures["async_tx"], figures["lbdx_dma"]
            say(f"    ratio lbdx_dma / async_tx: resync {rs1 / rs0:.2f}x, write {wr1 / wr0:.2f}x")
        sh = share[("raid", "lbdx_dma")]
        tot = sum(sh.values()) or 1
        say("    lbdx_dma's requests ran on: " + ", ".join(
            f"{b} {100 * v / tot:.0f}%" for b, v in sorted(sh.items())))
    for r in records:
        if r["kind"] == "raid_provider":
            say("    lbdx-dma.0 at the end: " + r["_text"])
    if bad:
        say(f"DATA ERRORS: {len(bad)} measurement(s) with verify=bad")
    for r in errors:
        say("error: " + r["_text"])
    for r in records:
        if r["kind"] in ("p1diag",):
            say("  P1 diagnosis (ours, untimed; per request, ns, clock reads included): "
                + r["_text"])
    parts = [f'{r["part"]} {r["ns"]}' for r in records if r["kind"] == "p1parts" and "ns" in r]
    if parts:
        say("  P1 parts (ours and async_tx, untimed; ns per request, best of 5 loops of 1000): "
            + ", ".join(parts))
    for r in records:
        if r["kind"] == "final":
            say("  end state: " + r["_text"])
    odd = [k for k in kmsg if any(x in k for x in ("WARN", "rror", "fail", "BUG"))]
    for k in odd[:20]:
        say("kernel: " + k)

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(f"{out}/results.txt", "w") as f:
        f.write(text)
    with open(f"{out}/sweep.dat", "w") as f:
        f.write("# size " + " ".join(SWEEP_CONFIGS) + "  (MB/s, medians; ? = none)\n")
        for s in sizes:
            f.write(f"{s} " + " ".join(
                f"{sweep[(c, s)]:.3f}" if sweep[(c, s)] else "?" for c in SWEEP_CONFIGS) + "\n")
    with open(f"{out}/crossover", "w") as f:
        f.write(f"{crossover or 'none'}\n")


if __name__ == "__main__":
    main()
