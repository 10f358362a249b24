#!/usr/bin/env python3
"""friscy benchmark harness (`just bench`).

Compiles the C workloads in bench/src for riscv64 (static glibc, -O2) and
x86-64 (host gcc, -O2), runs each natively, under qemu-riscv64 and under
friscy (the native runner `target/release/friscy run`, the wasmtime CLI with
dist/friscy.wasm, and, when built, the core's wasm-free example runner),
several times, compares every output with the native checksum and writes
bench/REPORT.md. Exit status 1 when any available runner failed a workload
(wrong checksum, crash, timeout).

Guest instruction counts come from qemu with a tiny TCG plugin
(bench/tools/insn_count.c, counted once per workload), so guest MIPS =
counted instructions / median wall time, startup included.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SRC = BENCH / "src"

# (name, group): groups get geometric means; "startup" is reported apart.
WORKLOADS = [
    ("sort", "integer"),
    ("hash", "integer"),
    ("crc", "integer"),
    ("sieve", "integer"),
    ("recursion", "integer"),
    ("strfmt", "integer"),
    ("nbody", "fp"),
    ("matmul", "fp"),
    ("mandelbrot", "fp"),
    ("memops", "memory"),
    ("strings", "memory"),
    ("nop", "startup"),
]
GROUPS = ["integer", "fp", "memory"]
CFLAGS = ["-O2", "-ffp-contract=off", "-fno-strict-aliasing"]
RV_CC = "riscv64-linux-gnu-gcc"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not available"


def build(out):
    """Compile workloads and the counting plugin; pack the rootfs."""
    for tool, pkg in [(RV_CC, "gcc-riscv64-linux-gnu"), ("qemu-riscv64", "qemu-user"),
                      ("gcc", "gcc")]:
        if shutil.which(tool) is None:
            sys.exit(f"bench: `{tool}` is missing: install `{pkg}` (`just setup`)")
    (out / "rv").mkdir(parents=True, exist_ok=True)
    (out / "x86").mkdir(parents=True, exist_ok=True)
    for name, _ in WORKLOADS:
        src = SRC / f"{name}.c"
        sh([RV_CC, *CFLAGS, "-static", str(src), "-o", str(out / "rv" / name), "-lm"])
        sh(["gcc", *CFLAGS, str(src), "-o", str(out / "x86" / name), "-lm"])
    sh(["gcc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden",
        str(BENCH / "tools" / "insn_count.c"), "-o", str(out / "insn_count.so")])
    tar = out / "rootfs.tar"
    with tarfile.open(tar, "w", format=tarfile.USTAR_FORMAT) as t:
        d = tarfile.TarInfo("bench")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        for name, _ in WORKLOADS:
            t.add(out / "rv" / name, arcname=f"bench/{name}")
    return tar


def runners(out, tar, wanted, wasm):
    """name -> (description, argv builder, available) for the runners."""
    friscy = ROOT / "target/release/friscy"
    example = ROOT / "target/release/examples/run"
    wasmtime = shutil.which("wasmtime")
    r = {
        "native": ("x86-64 native (host gcc -O2)", lambda n: [str(out / "x86" / n)], True),
        "qemu": ("qemu-riscv64 (TCG JIT)", lambda n: ["qemu-riscv64", str(out / "rv" / n)], True),
        "friscy": ("friscy: target/release/friscy run (wasmtime embedded)",
                   lambda n: [str(friscy), "run", str(tar), "--", f"/bench/{n}"],
                   friscy.exists()),
        "wasmtime": (f"friscy: wasmtime CLI + {wasm.relative_to(ROOT) if wasm.is_relative_to(ROOT) else wasm}",
                     lambda n: [wasmtime or "wasmtime", "run", "--dir", str(out), str(wasm),
                                "--image", str(tar), "--", f"/bench/{n}"],
                     wasmtime is not None and wasm.exists()),
        "core": ("friscy-core native example runner (no wasm; reference)",
                 lambda n: [str(example), str(tar), "--", f"/bench/{n}"], example.exists()),
    }
    return {k: v for k, v in r.items() if k in wanted}


def run_once(argv, timeout):
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout}s", b""
    except OSError as e:
        return None, str(e), b""
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return None, f"exit status {p.returncode}: {' | '.join(err)}", p.stdout
    return dt, None, p.stdout


def insn_count(out, name):
    p = subprocess.run(["qemu-riscv64", "-plugin", str(out / "insn_count.so"),
                        str(out / "rv" / name)], capture_output=True, text=True)
    for line in p.stderr.splitlines():
        if line.startswith("insn_count: "):
            return int(line.split()[1])
    return None


def geomean(xs):
    xs = [x for x in xs if x]
    if not xs:
        return None
    return statistics.geometric_mean(xs)


def fmt_t(t):
    return "—" if t is None else f"{t:.3f}"


def fmt_r(x):
    return "—" if x is None else (f"{x:.1f}×" if x >= 10 else f"{x:.2f}×")


def fmt_m(x):
    return "—" if x is None else f"{x:,.0f}"


def machine_info():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        mem = f"{int(mem) / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        mem = "?"
    try:
        commit = sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = sh(["git", "-C", str(ROOT), "status", "--porcelain"]).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores (shared)",
        "Memory": mem,
        "Kernel": f"{platform.system()} {platform.release()}",
        "qemu": tool_version(["qemu-riscv64", "--version"]),
        "riscv64 gcc": tool_version([RV_CC, "--version"]),
        "host gcc": tool_version(["gcc", "--version"]),
        "wasmtime": tool_version(["wasmtime", "--version"]),
        "rustc": tool_version(["rustc", "--version"]),
        "friscy commit": commit,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="runs per workload and runner (median)")
    ap.add_argument("--only", default="", help="comma list of workloads")
    ap.add_argument("--runners", default="native,qemu,friscy,wasmtime,core")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--out", default=str(BENCH / "out"))
    ap.add_argument("--report", default=str(BENCH / "REPORT.md"))
    ap.add_argument("--wasm", default=str(ROOT / "dist/friscy.wasm"),
                    help="the composed component for the wasmtime runner")
    args = ap.parse_args()

    out = Path(args.out)
    only = [w for w in args.only.split(",") if w]
    work = [(n, g) for n, g in WORKLOADS if not only or n in only]
    load_before = os.getloadavg()
    started = time.time()
    tar = build(out)
    rs = runners(out, tar, args.runners.split(","), Path(args.wasm).resolve())
    missing = [k for k, v in rs.items() if not v[2]]
    active = {k: v for k, v in rs.items() if v[2]}
    for k in missing:
        print(f"bench: runner `{k}` not available (build it: `just build`; "
              f"`cargo build --release -p friscy-core --example run`)", file=sys.stderr)

    results = {}   # (workload, runner) -> median seconds | None
    failures = []  # (workload, runner, why)
    counts = {}
    for name, group in work:
        ref = subprocess.run([str(out / "x86" / name)], capture_output=True).stdout
        counts[name] = insn_count(out, name)
        times = {k: [] for k in active}
        bad = set()
        # Interleave the runners rep by rep so load changes hit them alike.
        for rep in range(args.reps):
            for k, (_, argv, _) in active.items():
                if k in bad:
                    continue
                dt, err, stdout = run_once(argv(name), args.timeout)
                if err is None and stdout != ref:
                    err = (f"wrong output {stdout[:80]!r}, expected {ref.strip()[:80]!r}")
                if err is not None:
                    bad.add(k)
                    failures.append((name, k, err))
                    print(f"bench: {name} under {k}: FAIL: {err}", file=sys.stderr)
                    continue
                times[k].append(dt)
        for k in active:
            results[(name, k)] = None if k in bad else statistics.median(times[k])
        line = "  ".join(f"{k}={fmt_t(results[(name, k)])}s" for k in active)
        print(f"bench: {name:<11} {line}", file=sys.stderr)

    load_after = os.getloadavg()
    write_report(Path(args.report), work, rs, active, results, failures, counts, args,
                 load_before, load_after, time.time() - started)
    print(f"bench: wrote {args.report}", file=sys.stderr)
    return 1 if failures else 0


def write_report(path, work, rs, active, results, failures, counts, args, lb, la, took):
    friscys = [k for k in ("friscy", "wasmtime", "core") if k in active]
    L = []
    L.append("# friscy benchmark report\n")
    L.append(f"Generated by `just bench` (bench/run.py) on "
             f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}, "
             f"{args.reps} runs per cell (median wall time, process start included); "
             f"whole run {took:.0f} s.\n")
    L.append("## Machine\n")
    for k, v in machine_info().items():
        L.append(f"- {k}: {v}")
    L.append(f"- Load average (1/5/15 min) before: {lb[0]:.2f} {lb[1]:.2f} {lb[2]:.2f}, "
             f"after: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"
             " (other jobs share this machine: treat small differences as noise)\n")
    L.append("## Runners\n")
    for k, (desc, _, ok) in rs.items():
        L.append(f"- `{k}`: {desc}" + ("" if ok else " — **not available, skipped**"))
    L.append("")
    L.append("Workloads are C in `bench/src`, built `-O2 -ffp-contract=off` (so riscv64 and "
             "x86-64 round identically), static glibc for riscv64. Every run's stdout must "
             "equal the native checksum line, else the cell is a failure. Guest instructions "
             "are counted once per workload with qemu and `bench/tools/insn_count.c` (a TCG "
             "plugin); MIPS = those instructions / median wall time.\n")

    L.append("## Times (seconds)\n")
    hdr = ["workload", "group", "guest insns (M)"] + [f"{k}" for k in active]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for name, group in work:
        c = counts.get(name)
        row = [name, group, "—" if c is None else f"{c / 1e6:,.1f}"]
        for k in active:
            t = results.get((name, k))
            row.append("**FAIL**" if t is None else fmt_t(t))
        L.append("| " + " | ".join(row) + " |")
    L.append("")

    def ratio(name, a, b):
        ta, tb = results.get((name, a)), results.get((name, b))
        return ta / tb if ta and tb else None

    def mips(name, k):
        t, c = results.get((name, k)), counts.get(name)
        return c / t / 1e6 if t and c else None

    L.append("## Ratios and guest MIPS\n")
    hdr = ["workload"]
    for f in friscys:
        hdr += [f"{f}/qemu", f"{f}/native"]
    hdr += ["qemu/native"] + [f"MIPS {k}" for k in ["qemu"] + friscys if k in active]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    groups_present = [g for g in GROUPS if any(gg == g for _, gg in work)]
    for name, group in work:
        if group == "startup":
            continue
        row = [name]
        for f in friscys:
            row += [fmt_r(ratio(name, f, "qemu")), fmt_r(ratio(name, f, "native"))]
        row.append(fmt_r(ratio(name, "qemu", "native")))
        row += [fmt_m(mips(name, k)) for k in ["qemu"] + friscys if k in active]
        L.append("| " + " | ".join(row) + " |")
    for g in groups_present:
        names = [n for n, gg in work if gg == g]
        row = [f"**geomean {g}**"]
        for f in friscys:
            row += [fmt_r(geomean([ratio(n, f, "qemu") for n in names])),
                    fmt_r(geomean([ratio(n, f, "native") for n in names]))]
        row.append(fmt_r(geomean([ratio(n, "qemu", "native") for n in names])))
        row += [fmt_m(geomean([mips(n, k) for n in names]))
                for k in ["qemu"] + friscys if k in active]
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("Ratios are time ratios (higher = slower than the reference). A geometric mean "
             "leaves out failed cells.\n")
    if any(n == "nop" for n, _ in work):
        L.append("Startup (the `nop` row of the times table) is the fixed cost of each runner "
                 "and is included in every other time.\n")
    L.append("## Failures\n")
    if failures:
        for name, k, why in failures:
            L.append(f"- `{name}` under `{k}`: {why}")
    else:
        L.append("None: every available runner printed the native checksum for every workload.")
    missing = [k for k, v in rs.items() if not v[2]]
    if missing:
        L.append("")
        L.append(f"Not run (runner not built): {', '.join(missing)}.")
    path.write_text("\n".join(L) + "\n")


if __name__ == "__main__":
    sys.exit(main())
