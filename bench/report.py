"""The results of bench/run: the table (medians, spreads, ratios), its
Markdown and CSV, and the plots (gnuplot)."""
import csv
import shutil
import os
import statistics
import subprocess

from bench_config import (CLUSTER_CLIENTS, DURABLE_CLIENTS, DURABLE_POLICIES, PEERS, RESTART_BATCH,
                          SYSTEMS, W1_OPS, W2_CLIENTS)


# metric -> (row label, unit, which way is better)
def metric_rows(P):
    rows = []
    for op, label in W1_OPS:
        rows.append((f"W1.{op}", f"W1 latency: {label}", "us/op", "lower"))
    for op, label in W1_OPS:
        rows.append((f"W1p.{op}", f"W1 pinned (1 CPU): {label}", "us/op", "lower"))
    for n in W2_CLIENTS:
        rows.append((f"W2.c{n}", f"W2 throughput: {n} client{'s' if n > 1 else ''}", "ops/s", "higher"))
    rows += [
        ("W3", "W3 pipelined dict set (64 in flight)", "ops/s", "higher"),
        ("W4", "W4 queue: 4 producers, 4 consumers", "items/s", "higher"),
        ("W4p", "W4p queue pipelined (64 in flight): 4 producers, 4 consumers",
         "items/s", "higher"),
        ("W5.bytes_per_entry", f"W5 memory per dict entry ({P['w5_entries']:,} entries)", "B", "lower"),
        ("W5.rss_loaded", "W5 server RSS holding them", "MiB", "lower"),
        ("W5.load_rate", "W5 load rate (5,000 per call)", "entries/s", "higher"),
        ("W5.bytes_per_conn", f"W5 memory per idle connection ({P['w5_conns']:,})", "B", "lower"),
        ("W6.map", "W6 pool map of a trivial task, chunksize 1 (Python: multiprocessing.Pool)",
         "tasks/s", "higher"),
        ("W6.submit", "W6 pool submit + get (Python: Pool.apply_async)", "tasks/s", "higher"),
        ("W6.unordered", "W6 pool imap_unordered, chunksize 1", "tasks/s", "higher"),
        ("W6.callback", "W6 pool apply_async with a callback, until every callback ran",
         "tasks/s", "higher"),
        ("W6.big", f"W6 pool map of {P['w6_big']} tasks returning 1 MiB each", "tasks/s",
         "higher"),
        ("W6.fmap", "W6 pool map (Python: ProcessPoolExecutor.map)", "tasks/s", "higher"),
        ("W6.fsubmit", "W6 pool submit + result (Python: ProcessPoolExecutor.submit)",
         "tasks/s", "higher"),
        ("W7.guarded", "W7 account withdraw, 4 clients, checked in the server (ours: a "
         "guarded atomic batch; Redis: a Lua script; Python: a Lock)", "ops/s", "higher"),
        ("W7.module", "W7 account withdraw, 4 clients, a module's method (ours: "
         "mgr_call of account.withdraw; Redis, Python: as guarded)", "ops/s", "higher"),
        ("W8.incr", "W8 latency: dict incr (Redis: HINCRBY)", "us/op", "lower"),
        ("W8.call", "W8 latency: a module's trivial method (ours: mgr_call; Redis: "
         "EVALSHA)", "us/op", "lower"),
        ("W7.locked", "W7 account withdraw, 4 clients, checked by the client (ours, Python: "
         "a Lock around get and set; Redis: WATCH/MULTI/EXEC)", "ops/s", "higher"),
        ("H.connect", "H new connection: connect, one round trip, close", "us", "lower"),
        ("L.fill", "L longest hold of the manager's lock filling a dict and a list of "
         f"{P['l_n']:,} str, by parts (ours: lock_hold_max_us)", "us", "lower"),
        ("L.worst", "L longest hold after the worst requests at that size (at the default "
         "--max-op-elements; whole reads refused; clears and releases)", "us", "lower"),
        ("R.reconnect", "R dropped connection to the next call's reply (ours: "
         "reconnect and resume; Redis: a new connection and the command again)", "us", "lower"),
    ]
    return rows


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def summarize(samples):
    """{(metric, system, transport): [values]} -> stats."""
    st = {}
    for k, vals in samples.items():
        s = sorted(vals)
        q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0], s[0], s[0]]
        st[k] = {"median": statistics.median(s), "min": s[0], "max": s[-1],
                 "q1": q[0], "q3": q[2], "n": len(s)}
    return st


def build_table(P, st):
    table = []
    for metric, label, unit, better in metric_rows(P):
        for transport in ("unix", "tcp"):
            row = {"metric": metric, "label": label, "transport": transport,
                   "unit": unit, "better": better}
            for system in ["ours"] + PEERS:
                row[system] = st.get((metric, system, transport))
            for peer in PEERS:
                o, p = row["ours"], row[peer]
                row[f"ours/{peer}"] = (o["median"] / p["median"]
                                       if o and p and p["median"] else None)
            if any(row[s] for s in ["ours"] + PEERS):
                table.append(row)
    return table


def cell(s):
    if s is None:
        return "-"
    if s["n"] == 1:
        return fmt(s["median"])
    return f"{fmt(s['median'])} ({fmt(s['min'])}–{fmt(s['max'])})"


TITLES = {"python": "Python", "redis": "Redis", "base": "base"}


def median_ratio(a, b):
    """a's median over b's (two summarize() results), or None when either
    is missing or b's is 0."""
    return a["median"] / b["median"] if a and b and b["median"] else None


def ratio(r):
    return "-" if r is None else f"{r:.2f}x"


EXTRA_TITLES = [("unix", "ipc"), ("tcp", "tcp"), ("nngtcp", "nng tcp"),
                ("tls", "tls+tcp"), ("ws", "ws"), ("wss", "wss")]


def transports_section(P, st):
    """Ours over every transport, W1, W2 and H, with the TLS cost against
    plain tcp, and Redis over tcp and over TLS beside it."""
    if not any(k[1] == "ours" and k[2] == "tls" for k in st):
        return []
    out = ["", "## Every transport, and TLS against Redis's (W1, W2, H)", "",
           "Ours: ipc and tcp and tls+tcp in the epoll loops (TLS by mbedTLS "
           "in the loop that reads the request), nng tcp (--listen-nng), ws "
           "and wss on nng's stream layer; the same client calls. Redis over "
           "tcp and over TLS (--tls-port; the bench's client speaks RESP over "
           "mbedTLS, as ours speaks our protocol over it). tls/tcp: the cost "
           "of TLS; tls/Redis tls: ours against Redis, both over TLS (ratios "
           "of medians; for latency lower is better, for throughput higher).",
           "",
           "| workload | unit | " + " | ".join(t for _, t in EXTRA_TITLES)
           + " | Redis tcp | Redis tls | tls/tcp | tls/Redis tls |",
           "| --- | --- | " + " | ".join("---:" for _ in EXTRA_TITLES)
           + " | ---: | ---: | ---: | ---: |"]
    for metric, label, unit, _ in metric_rows(P):
        if not metric.startswith(tuple(c + "." for c in ("W1", "W1p", "W2", "H", "R"))):
            continue
        cells = [st.get((metric, "ours", t)) for t, _ in EXTRA_TITLES]
        if not any(cells):
            continue
        tls, tcp = st.get((metric, "ours", "tls")), st.get((metric, "ours", "tcp"))
        rtls = st.get((metric, "redis", "tls"))
        r = median_ratio(tls, tcp)
        rr = median_ratio(tls, rtls)
        out.append(f"| {label} | {unit} | " + " | ".join(cell(c) for c in cells)
                   + f" | {cell(st.get((metric, 'redis', 'tcp')))} | {cell(rtls)}"
                   + f" | {ratio(r)} | {ratio(rr)} |")
    return out


def python_clients_section(P, st):
    """Our Python client against managerd beside Python's own Manager: the
    same bench_py.py calls (W1, W2) on each transport."""
    if not any(k[1] == "pyours" for k in st):
        return []
    out = ["", "## Python programs: our Python client vs Python's Manager "
           "(W1, W2)", "",
           "The same bench_py.py script, its calls unchanged (W2's counter "
           "under a Lock, as Python's Manager needs), once through our Python "
           "client (python/mgr, protobuf's upb runtime) to managerd and once "
           "through multiprocessing's proxies to Python's Manager. ours/Python: "
           "the ratio of medians.", "",
           "| workload | transport | unit | our Python client | Python | "
           "ours/Python |", "| --- | --- | --- | ---: | ---: | ---: |"]
    for metric, label, unit, _ in metric_rows(P):
        if not metric.startswith(("W1.", "W2.")):
            continue
        for t in ("unix", "tcp"):
            o, p = st.get((metric, "pyours", t)), st.get((metric, "python", t))
            if not o:
                continue
            r = median_ratio(o, p)
            out.append(f"| {label} | {t} | {unit} | {cell(o)} | {cell(p)} | "
                       f"{ratio(r)} |")
    return out


def durable_section(P, st):
    """D: ours with --data-dir against Redis with its append-only file,
    under each fsync policy."""
    if not any(k[0].startswith("D.") for k in st):
        return []
    out = ["", "## Durable writes: ours with --data-dir vs Redis's append-only "
           "file (D)", "",
           "Each under the same policy, on a unix socket: ours `managerd "
           "--data-dir DIR --fsync P` (a reply leaves once its change is "
           "written, under always synced), Redis `--appendonly yes "
           "--appendfsync P`. W1's calls one at a time (us/op, lower is "
           f"better) and W2's mix with {DURABLE_CLIENTS} clients (ops/s, "
           "higher is better); ours/Redis: the ratio of medians.", "",
           "| workload | fsync | unit | ours | Redis | ours/Redis |",
           "| --- | --- | --- | ---: | ---: | ---: |"]
    rows = [(f"D.{op}", f"D latency: {label}", "us/op") for op, label in W1_OPS]
    rows.append((f"D.c{DURABLE_CLIENTS}",
                 f"D throughput: W2's mix, {DURABLE_CLIENTS} clients", "ops/s"))
    for metric, label, unit in rows:
        for policy in DURABLE_POLICIES:
            o, r = st.get((metric, "ours", policy)), st.get((metric, "redis", policy))
            if not o and not r:
                continue
            q = median_ratio(o, r)
            out.append(f"| {label} | {policy} | {unit} | {cell(o)} | {cell(r)} | "
                       f"{ratio(q)} |")
    return out


def cluster_section(P, st, netns):
    """C: ours alone and as a 3-member cluster, Redis alone and with a
    replica under WAIT 1 0; netns: each server process was in a network
    namespace of its own (else on tcp loopback)."""
    if not any(k[0].startswith("C.") for k in st):
        return []
    out = ["", "## Replicated writes: a 3-member cluster vs Redis with a "
           "replica (C)", "",
           ("In network namespaces, each server process in one of its own "
            "(a veth each, on one bridge, the clients outside), every "
            "process on this machine's CPUs and disk: "
            if netns else "On tcp loopback, every process on this machine: ") +
           "ours alone (in memory, and synced: `--data-dir --fsync "
           "always`, a reply once its change is on this one disk) and "
           "as `managerd --cluster` of three members (a reply leaves once "
           "a majority holds its change, synced), Redis alone and with a "
           "replica, each write followed by `WAIT 1 0`. W1's dict set one "
           "at a time (us/op, lower is better) and W2's mix with "
           f"{CLUSTER_CLIENTS} clients (ops/s, higher is better); "
           "replicated/alone: the ratio of medians within each system "
           "(ours: the cluster's to alone in memory, then to alone "
           "synced).", "",
           "| workload | unit | ours alone | ours alone, synced | ours, 3 members | "
           "replicated/alone | replicated/synced | "
           "Redis alone | Redis + replica, WAIT | replicated/alone |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for metric, label, unit in (("C.dict_set", "W1 dict set", "us/op"),
                                (f"C.c{CLUSTER_CLIENTS}",
                                 f"W2's mix, {CLUSTER_CLIENTS} clients", "ops/s")):
        o1, o3 = st.get((metric, "ours", "one")), st.get((metric, "ours", "three"))
        os1 = st.get((metric, "ours", "synced"))
        r1, r2 = st.get((metric, "redis", "one")), st.get((metric, "redis", "replica"))
        qo = median_ratio(o3, o1)
        qs = median_ratio(o3, os1)
        qr = median_ratio(r2, r1)
        out.append(f"| {label} | {unit} | {cell(o1)} | {cell(os1)} | {cell(o3)} | "
                   f"{ratio(qo)} | {ratio(qs)} | "
                   f"{cell(r1)} | {cell(r2)} | {ratio(qr)} |")
    return out


def restart_section(P, st):
    """DR: a full store's restart, ours against Redis."""
    if not any(k[0].startswith("DR.") for k in st):
        return []
    out = ["", "## Restart of a full store: ours vs Redis (DR)", "",
           f"{P['dr_entries']:,} entries (int: int) written {RESTART_BATCH:,} to "
           "a request (ours `dict_update`, Redis `HSET`), with `--fsync "
           "everysec` / `--appendfsync everysec`; the server is killed -9 "
           "and started again on its files; the time from its start until "
           "it serves (ms, lower is better): from the log alone (ours' "
           "`--data-dir` log, Redis's AOF), then after a rewrite (ours' "
           "snapshot by `managerctl save`, Redis's `BGREWRITEAOF` with its "
           "RDB preamble).", "",
           "| restart | unit | ours | Redis | ours/Redis |",
           "| --- | --- | ---: | ---: | ---: |"]
    for metric, label in (("DR.log", "from the log"),
                          ("DR.snapshot", "from the snapshot / rewrite")):
        o = st.get((metric, "ours", "everysec"))
        r = st.get((metric, "redis", "everysec"))
        if not o and not r:
            continue
        q = median_ratio(o, r)
        out.append(f"| {label} | ms | {cell(o)} | {cell(r)} | {ratio(q)} |")
    return out


def markdown(ctx, table, notes, made):
    P = ctx.P
    out = [
        f"# Benchmark: ours vs Python's Manager vs Redis ({ctx.mode} run)",
        "",
        f"- date: {ctx.started:%Y-%m-%d %H:%M} UTC; command: `{ctx.command}`",
        f"- machine: {ctx.machine}",
        f"- versions: {ctx.versions}",
        f"- {ctx.tree}",
        *([f"- base: managerd and its client built from {ctx.base_name} "
           "(bench/run --baseline), run beside ours"] if ctx.base_name else []),
        f"- repetitions: {P['reps']} (W5: {P['w5_reps']}), interleaved "
        "(each repetition runs every workload on every system in turn, "
        "each system started fresh for each measurement)",
        "- cells: median (min–max) over the repetitions; ours/peer is the "
        "ratio of the medians (latency and memory: lower is better, "
        "throughput: higher is better). unix = our ipc://, Python's "
        "AF_UNIX, Redis's unixsocket; tcp = 127.0.0.1.",
        "",
        "| workload | transport | unit | ours | "
        + " | ".join(TITLES.get(p, p) for p in PEERS) + " | "
        + " | ".join(f"ours/{TITLES.get(p, p)}" for p in PEERS) + " |",
        "| --- | --- | --- | ---: | " + " | ".join("---:" for _ in PEERS * 2) + " |",
    ]
    for r in table:
        out.append(
            f"| {r['label']} | {r['transport']} | {r['unit']} | {cell(r['ours'])} | "
            + " | ".join(cell(r[p]) for p in PEERS) + " | "
            + " | ".join(ratio(r[f"ours/{p}"]) for p in PEERS) + " |")
    out += transports_section(P, ctx.stats)
    out += python_clients_section(P, ctx.stats)
    out += cluster_section(P, ctx.stats, ctx.netns is not None)
    out += durable_section(P, ctx.stats)
    out += restart_section(P, ctx.stats)
    out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    out += ["", "## CPUs each process ran on, and the server's threads (W1)", "",
            "CPUs: sampled every 10 ms from /proc/PID/task/TID/stat (field 39) "
            "over all repetitions. Server threads busy: threads of the server "
            "that ran more than 1 ms during the W1 client's run (median over "
            "repetitions); server switches per round trip: context switches "
            "(voluntary and not) of all the server's threads during the run, "
            "from /proc/PID/task/TID/status, over the run's 7 x (n + warm-up) "
            "round trips (median).", "",
            "| run | system | transport | server CPUs | client CPUs | "
            "server threads busy | server switches per round trip |",
            "| --- | --- | --- | --- | --- | ---: | ---: |"]
    for (key, system, transport), c in sorted(ctx.cpus.items()):
        run = "pinned (taskset -c 0)" if key == "W1p" else "unpinned"
        out.append(f"| {run} | {system} | {transport} | "
                   f"{','.join(map(str, sorted(c['server']))) or '-'} | "
                   f"{','.join(map(str, sorted(c['client']))) or '-'} | "
                   f"{statistics.median(c['busy']):g} | "
                   f"{statistics.median(c['cs']):.2f} |")
    if ctx.holds:
        out += ["", "## The longest hold of ours' server lock", "",
                "Every request runs while all others wait: the longest "
                "single hold of managerd's lock (mgr_info's "
                "lock_hold_max_us and what held it) during each client "
                "run, the most over the repetitions.", "",
                "| client | transport | longest hold (us) | held by |",
                "| --- | --- | ---: | --- |"]
        for (what, transport), (us, op) in sorted(ctx.holds.items()):
            out.append(f"| {what} | {transport} | {us} | {op} |")
    for png in made:
        out += ["", f"![{png[:-4]}]({png})"]
    return "\n".join(out) + "\n"


def write_csv(path, table):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        head = ["metric", "workload", "transport", "unit", "better"]
        for s in ["ours"] + PEERS:
            head += [f"{s}_median", f"{s}_min", f"{s}_max", f"{s}_q1", f"{s}_q3", f"{s}_n"]
        head += [f"ours_over_{p}" for p in PEERS]
        w.writerow(head)
        for r in table:
            row = [r["metric"], r["label"], r["transport"], r["unit"], r["better"]]
            for s in ["ours"] + PEERS:
                x = r[s]
                row += ([f"{x[k]:.6g}" for k in ("median", "min", "max", "q1", "q3")] + [x["n"]]
                        if x else [""] * 6)
            for peer in PEERS:
                v = r[f"ours/{peer}"]
                row.append("" if v is None else f"{v:.4f}")
            w.writerow(row)


def plots(ctx, st):
    """latency.png (W1 by operation, unpinned and pinned) and throughput.png
    (W2 by number of clients), with gnuplot. Returns (files made, error)."""
    gp = shutil.which("gnuplot")
    if gp is None:
        return [], "gnuplot not found: no plots"
    names = [f"{s}-{t}" for s, t in SYSTEMS]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#6baed6", "#fdae6b",
              "#98df8a", "#c5b0d5"]
    script = ['set terminal pngcairo size 1200,900 font ",10"']
    made = []
    have = lambda prefix: any(k[0].startswith(prefix) for k in st)
    if have("W1."):
        for key in ("W1", "W1p"):
            with open(os.path.join(ctx.out, f"{key}.dat"), "w") as f:
                for op, label in W1_OPS:
                    vals = []
                    for s, t in SYSTEMS:
                        x = st.get((f"{key}.{op}", s, t))
                        vals += [x["median"], x["min"], x["max"]] if x else ["NaN"] * 3
                    f.write('"%s" ' % label + " ".join(str(v) for v in vals) + "\n")
        bars = ", ".join(
            f"'@KEY@.dat' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}:xtic(1) "
            f"title '{n}' lc rgb '{colors[i]}'"
            for i, n in enumerate(names))
        script += [
            "set output 'latency.png'",
            "set multiplot layout 2,1",
            "set style data histogram",
            "set style histogram errorbars gap 1 lw 1",
            "set style fill solid 0.8 border -1",
            "set ylabel 'microseconds per operation (median, min-max)'",
            "set yrange [0:*]",
            "set key outside right top",
            "set grid ytics",
            "set title 'W1 latency, one synchronous client, unpinned'",
            "plot " + bars.replace("@KEY@", "W1"),
            "set title 'W1 latency, client and server pinned to CPU 0'",
            "plot " + bars.replace("@KEY@", "W1p"),
            "unset multiplot",
            "reset",
        ]
        made.append("latency.png")
    if have("W2."):
        with open(os.path.join(ctx.out, "W2.dat"), "w") as f:
            for s, t in SYSTEMS:
                f.write(f"# {s}-{t}\n")
                for n in W2_CLIENTS:
                    x = st.get((f"W2.c{n}", s, t))
                    if x:
                        f.write(f"{n} {x['median']} {x['min']} {x['max']}\n")
                    else:
                        f.write(f"{n} NaN NaN NaN\n")
                f.write("\n\n")
        lines = ", ".join(
            f"'W2.dat' index {i} using 1:2:3:4 with yerrorlines lw 2 pt 7 "
            f"lc rgb '{colors[i]}' title '{n}'"
            for i, n in enumerate(names))
        script += [
            'set terminal pngcairo size 1000,650 font ",10"',
            "set output 'throughput.png'",
            "set title 'W2 throughput by number of client processes "
            "(dict set, get, shared counter)'",
            "set xlabel 'client processes'",
            "set ylabel 'operations per second (median, min-max)'",
            "set logscale x 2",
            "set logscale y 10",
            "set xtics (1,2,4,8,16)",
            "set xrange [0.8:20]",
            "set key outside right top",
            "set grid",
            "plot " + lines,
        ]
        made.append("throughput.png")
    if not made:
        return [], None
    with open(os.path.join(ctx.out, "plots.gp"), "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run([gp, "plots.gp"], cwd=ctx.out, capture_output=True, timeout=60)
    if r.returncode != 0:
        return [], "gnuplot failed: " + r.stderr.decode(errors="replace")[-500:]
    return made, None
