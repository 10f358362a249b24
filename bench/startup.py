#!/usr/bin/env python3
"""Start-up time of `friscy run IMAGE -- /bin/true`, small image vs large.

small: /bin/true, the dynamic loader, libc and /etc/{passwd,group,hostname,
       hosts,resolv.conf} from build/debian/base (~1.6 MB)
large: build/debian/python (python3 + its stdlib, > 50 MB)

Each image is measured in two forms, a plain rootfs tar and a gzip-compressed
one. `friscy run` converts either once into a runtime image and caches it
(~/.cache/friscy/images; here bench/out/startup-cache), so the timed runs
read the cached image's index; the warm-up run's time ("first run") includes
the conversion.

Two wall times per run, from spawning `friscy run`: to the guest's first
instruction (the component prints the wall clock as it starts the CPU when
FRISCY_TIMING=1) and to the runner's exit. --reps runs (default 10,
interleaved, after a warm-up run that also compiles the emulator into the
cache) are reported as median and minimum in bench/STARTUP.md. The check:
large within 1.5x of small by median, per form and measure. This is a
measurement, not a test: exit status 1 only when the check fails.

Needs `just build` and `just debian-rootfs`.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "startup"
FRISCY = ROOT / "target" / "release" / "friscy"
DEBIAN = ROOT / "build" / "debian"
LIMIT = 1.5

# The files every image of this base has and that boot reads (/etc/passwd
# for HOME; /etc/hostname and friends, compared with what friscy writes
# there), so that both images do the same work and differ in size only.
SMALL_FILES = [
    "etc/group",
    "etc/hostname",
    "etc/hosts",
    "etc/passwd",
    "etc/resolv.conf",
    "usr/bin/true",
    "usr/lib/ld-linux-riscv64-lp64d.so.1",
    "usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1",
    "usr/lib/riscv64-linux-gnu/libc.so.6",
]


def small_rootfs(base: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for link in ["bin", "lib", "sbin"]:
        os.symlink(os.readlink(base / link), dst / link)
    for rel in SMALL_FILES:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        src = base / rel
        if src.is_symlink():
            os.symlink(os.readlink(src), dst / rel)
        else:
            shutil.copy2(src, dst / rel)


def tar_dir(src: Path, dst: Path) -> None:
    # Deterministic order; the same bytes every time.
    def reset(ti: tarfile.TarInfo) -> tarfile.TarInfo:
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    with tarfile.open(dst, "w", format=tarfile.GNU_FORMAT) as t:
        for p in sorted(src.rglob("*")):
            t.add(p, arcname=str(p.relative_to(src)), recursive=False, filter=reset)


def gzip_file(src: Path, dst: Path) -> None:
    with open(dst, "wb") as f:
        subprocess.run(["gzip", "-1", "-n", "-c", str(src)], stdout=f, check=True)


TIMING = "friscy-timing: first-instruction-unix-ns "


def run(image: Path, env: dict) -> tuple[float, float]:
    """One run: seconds to the first guest instruction and to exit.

    The component prints the wall clock when it starts the guest's CPU
    (FRISCY_TIMING=1); this process's wall clock at spawn is subtracted.
    """
    t0_ns = time.time_ns()
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(FRISCY), "run", str(image), "--", "/bin/true"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env, FRISCY_TIMING="1"),
    )
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"startup: `friscy run {image} -- /bin/true` exited {r.returncode}:\n{r.stderr.decode()}")
    marks = [l for l in r.stderr.decode().splitlines() if l.startswith(TIMING)]
    if len(marks) != 1:
        sys.exit(f"startup: `friscy run {image}` printed no `{TIMING.strip()}` line:\n{r.stderr.decode()}")
    first = (int(marks[0][len(TIMING):]) - t0_ns) / 1e9
    return first, dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--report", default=str(ROOT / "bench" / "STARTUP.md"))
    args = ap.parse_args()
    for need, how in [(FRISCY, "just build"), (DEBIAN / "python" / "rootfs.tar", "just debian-rootfs")]:
        if not need.exists():
            sys.exit(f"startup: {need} is missing: run `{how}` first")

    OUT.mkdir(parents=True, exist_ok=True)
    small_dir = OUT / "small-rootfs"
    small_rootfs(DEBIAN / "base" / "rootfs", small_dir)
    images = {"small": OUT / "small.tar", "large": OUT / "large.tar"}
    tar_dir(small_dir, images["small"])
    shutil.copyfile(DEBIAN / "python" / "rootfs.tar", images["large"])
    for name in ["small", "large"]:
        gzip_file(images[name], OUT / f"{name}.tar.gz")

    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    cache = OUT.parent / "startup-cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    forms = ["tar", "tar.gz"]
    cold = {}
    for form in forms:
        for name in ["small", "large"]:
            # Warm-up: compiles the emulator; for tar.gz, converts and caches.
            cold[(name, form)] = run(OUT / f"{name}.{form}", env)
    times = {(n, f): [] for n in ["small", "large"] for f in forms}
    for _ in range(args.reps):
        for form in forms:
            for name in ["small", "large"]:
                times[(name, form)].append(run(OUT / f"{name}.{form}", env))

    ms = lambda s: f"{s * 1000:.1f} ms"
    size = lambda p: f"{p.stat().st_size / 1048576:.1f} MiB"
    lines = [
        "# friscy start-up: `friscy run IMAGE -- /bin/true`",
        "",
        "Written by `python3 bench/startup.py` (see its docstring). Wall time from spawning",
        "`friscy run` to the guest's first instruction (the component prints the wall clock",
        "when it starts the CPU, with FRISCY_TIMING=1) and to the runner's exit; median and",
        f"fastest of {args.reps} runs each, after a warm-up run (the first run of an image",
        "converts it into the cache; its time is the \"first run\" column).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()},",
        f"load average before the runs {load_before}.",
        "",
        "| image | form | size | first instruction: median | min | exit: median | min | first run (exit) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    verdicts = []
    for form in forms:
        for name in ["small", "large"]:
            first = [t[0] for t in times[(name, form)]]
            exit_ = [t[1] for t in times[(name, form)]]
            lines.append(
                f"| {name} | {form} | {size(OUT / f'{name}.{form}')} "
                f"| {ms(statistics.median(first))} | {ms(min(first))} "
                f"| {ms(statistics.median(exit_))} | {ms(min(exit_))} | {ms(cold[(name, form)][1])} |"
            )
        for i, what in enumerate(["first instruction", "exit"]):
            large = [t[i] for t in times[("large", form)]]
            small = [t[i] for t in times[("small", form)]]
            med = statistics.median(large) / statistics.median(small)
            fastest = min(large) / min(small)
            ok &= med <= LIMIT
            verdict = "ok" if med <= LIMIT else f"over the {LIMIT}x limit"
            verdicts.append(f"- {form}, to {what}: large/small = {med:.2f} by median ({verdict}), {fastest:.2f} by min")
    lines.append("")
    lines.append(f"The check: large within {LIMIT}x of small by median, per form and measure.")
    lines.append("")
    lines.extend(verdicts)
    lines.append("")
    text = "\n".join(lines)
    Path(args.report).write_text(text)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
