#!/usr/bin/env bash
# Whole-process benchmark: `kubectl-opm render` vs `helm template` (Helm 4) on every corpus
# chart with its default values, measured in the same run.
#
#   scripts/bench.sh [--runs N] [--charts a,b] [--check]
#
# Builds the release binary, then per chart: one warm-up run of each command, then N runs
# (default 9) interleaved opm/helm/opm/helm..., started with posix_spawn from charts/,
# stdout read through a pipe and discarded. Wall time is the median;
# peak RSS is the median of 3 more runs of each under GNU time (/usr/bin/time -f %M), which
# reports the command's own peak (a child forked from the Python harness would carry the
# harness's peak RSS across exec; without GNU time the bench falls back to that number).
# Prints a Markdown table (also saved to bench-results/) with ratios helm/opm and totals.
# --check exits 1 unless every chart renders >= 10x faster and with <= 1/2 the peak memory.
#
# Environment: OPM_CORPUS (default ../shared/corpus), OPM_BIN (binary under test; extra words
# replace `render`, e.g. OPM_BIN=".tools/helm3 template" to compare two helms), HELM4.
#
# Wall times depend on the machine's load; for load-independent comparisons count
# instructions with `valgrind --tool=callgrind target/release/kubectl-opm render …`, and for
# the in-process render time alone (no start-up, no printing) run the criterion-free
# benchmark `OPM_CORPUS=… cargo bench --bench render` (benches/render.rs).

# Lint mode: `kubectl-opm lint CHART` vs `helm lint CHART` (Helm 4) on every corpus chart,
# measured the same way (warm-up, N interleaved runs, medians, run from charts/):
#
#   scripts/bench.sh --lint [--runs N] [--charts a,b] [--check]
#
# opm lint does more than helm lint (every values-matrix file, the feature-toggle variants,
# schema validation of every object), and must still take at most half of helm lint's time:
# --check exits 1 unless every chart's median ratio opm/helm is <= 0.5. The opm exit code is
# shown, not checked (1 means the chart has error findings, e.g. velero). OPM_BIN replaces
# the binary (`lint` is appended). The code is bench_lint, at the end of this file.
set -euo pipefail

if [ "${1:-}" = "--lint" ]; then
  shift
  # bash reads a script as it runs it: load bench_lint from the end of the file first.
  bench_script="${BASH_SOURCE[0]}"
  eval "$(sed -n '/^bench_lint() {$/,/^}$/p' "$bench_script")"
  bench_lint "$@"
  exit $?
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

runs=9
charts=""
check=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --runs=*) runs="${1#*=}"; shift ;;
    --charts) charts="$2"; shift 2 ;;
    --charts=*) charts="${1#*=}"; shift ;;
    --check) check=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

corpus="${OPM_CORPUS:-$root/../shared/corpus}"
if [ ! -f "$corpus/MANIFEST.md" ]; then
  echo "no corpus at $corpus (set OPM_CORPUS)" >&2
  exit 2
fi
corpus="$(cd "$corpus" && pwd)"
helm="${HELM4:-$root/.tools/helm4}"
if [ ! -x "$helm" ]; then
  scripts/install-test-tools.sh >&2
fi

if [ -z "${OPM_BIN:-}" ]; then
  echo "building release binary..." >&2
  cargo build --release --locked --bin kubectl-opm >&2
  opm="$root/target/release/kubectl-opm render"
else
  opm="$OPM_BIN"
  case "$opm" in *" "*) ;; *) opm="$opm render" ;; esac
fi

mkdir -p bench-results
out="bench-results/bench-$(date -u +%Y%m%dT%H%M%SZ).md"

python3 - "$corpus" "$helm" "$opm" "$runs" "$charts" "$check" <<'PY' | tee "$out"
import os, shlex, statistics, subprocess, sys, tempfile, time

corpus, helm, opm, runs, only, check = sys.argv[1:]
runs, check = int(runs), check == "1"
charts_dir = os.path.join(corpus, "charts")
charts = sorted(d for d in os.listdir(charts_dir) if os.path.isfile(os.path.join(charts_dir, d, "Chart.yaml")))
if only:
    wanted = only.split(",")
    charts = [c for c in charts if c in wanted]

os.chdir(charts_dir)

def measure(argv):
    """Runs argv once from charts/; returns (wall seconds, peak RSS KiB, exit code, stdout bytes).
    posix_spawn (vfork-like) rather than fork: forking this Python process copies its page
    tables, about a millisecond that would be added to every command measured."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    r, w = os.pipe()
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, w, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2),
        (os.POSIX_SPAWN_CLOSE, r),
    ])
    os.close(w)
    size = 0
    while True:
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(r)
    os.close(devnull)
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status), size

GNU_TIME = "/usr/bin/time"

def measure_rss(argv):
    """Peak RSS (KiB) of argv alone. A child forked from this Python process inherits its
    peak RSS across exec (Linux keeps the larger high-water mark), which would add the
    harness's own ~14 MiB to every command; GNU time forks from a ~1 MiB process instead."""
    if not os.access(GNU_TIME, os.X_OK):
        return measure(argv)[1]
    fd, path = tempfile.mkstemp()
    os.close(fd)
    try:
        subprocess.run([GNU_TIME, "-f", "%M", "-o", path] + argv, cwd=charts_dir,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(path) as f:
            return int(f.read().strip().splitlines()[-1])
    finally:
        os.unlink(path)

def args(chart):
    return [chart, "--namespace", "corpus", "--kube-version", "1.33.0"]

opm_argv = shlex.split(opm)
helm_argv = [helm, "template", "corpus-test"]
rows, failures = [], []
for chart in charts:
    a = opm_argv + ["corpus-test"] + args(chart)
    b = helm_argv + args(chart)
    measure(a), measure(b)  # warm-up (page cache, dynamic loader)
    ta, tb, ma, mb, codes, size = [], [], [], [], set(), 0
    for _ in range(runs):
        for argv, t, m in ((a, ta, ma), (b, tb, mb)):
            wall, _, code, n = measure(argv)
            t.append(wall)
            if argv is a:
                codes.add(code)
            else:
                size = n
    for _ in range(min(runs, 3)):
        ma.append(measure_rss(a)); mb.append(measure_rss(b))
    rows.append((chart, size, statistics.median(ta), statistics.median(tb),
                 statistics.median(ma), statistics.median(mb), codes))
    print(f"  {chart}: done", file=sys.stderr)

print(f"\nkubectl-opm render vs helm template (Helm 4), default values, median of {runs} interleaved runs\n")
print("| chart | output KB | opm ms | helm4 ms | time ratio (helm/opm) | opm MiB | helm4 MiB | memory ratio (helm/opm) | opm exit |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
tot_a = tot_b = 0.0
for chart, size, ta, tb, ma, mb, codes in rows:
    tr, mr = tb / ta, mb / ma
    tot_a += ta; tot_b += tb
    exit_codes = ",".join(str(c) for c in sorted(codes))
    print(f"| {chart} | {size // 1024} | {ta * 1000:.1f} | {tb * 1000:.1f} | {tr:.1f}x | {ma / 1024:.1f} | {mb / 1024:.1f} | {mr:.1f}x | {exit_codes} |")
    if codes != {0}:
        failures.append(f"{chart}: render exited {exit_codes}")
    if tr < 10:
        failures.append(f"{chart}: time ratio {tr:.1f}x < 10x")
    if mr < 2:
        failures.append(f"{chart}: memory ratio {mr:.1f}x < 2x")
if rows:
    print(f"| **total** | | {tot_a * 1000:.1f} | {tot_b * 1000:.1f} | {tot_b / tot_a:.1f}x | | | | |")
print()
if failures:
    print("Targets missed (10x time, 2x memory):")
    for f in failures:
        print(f"- {f}")
else:
    print("All charts meet the targets (10x time, 2x memory).")
if check and failures:
    sys.exit(1)
PY
echo "saved $out" >&2

# ---- lint benchmark (scripts/bench.sh --lint; see the header) ----
bench_lint() {
  local root runs=9 charts="" check=0 corpus helm opm out
  root="$(cd "$(dirname "$bench_script")/.." && pwd)"
  cd "$root"
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --runs=*) runs="${1#*=}"; shift ;;
      --charts) charts="$2"; shift 2 ;;
      --charts=*) charts="${1#*=}"; shift ;;
      --check) check=1; shift ;;
      -h | --help) sed -n '/^# Lint mode/,/^set -euo/p' "$bench_script" | sed '$d'; return 0 ;;
      *) echo "unknown argument: $1" >&2; return 2 ;;
    esac
  done
  corpus="${OPM_CORPUS:-$root/../shared/corpus}"
  if [ ! -f "$corpus/MANIFEST.md" ]; then
    echo "no corpus at $corpus (set OPM_CORPUS)" >&2
    return 2
  fi
  corpus="$(cd "$corpus" && pwd)"
  helm="${HELM4:-$root/.tools/helm4}"
  if [ ! -x "$helm" ]; then
    scripts/install-test-tools.sh >&2
  fi
  if [ -z "${OPM_BIN:-}" ]; then
    echo "building release binary..." >&2
    cargo build --release --locked --bin kubectl-opm >&2
    opm="$root/target/release/kubectl-opm"
  else
    opm="$OPM_BIN"
  fi
  mkdir -p bench-results
  out="bench-results/bench-lint-$(date -u +%Y%m%dT%H%M%SZ).md"

  python3 - "$corpus" "$helm" "$opm" "$runs" "$charts" "$check" <<'PY' | tee "$out"
import os, shlex, statistics, sys, time

corpus, helm, opm, runs, only, check = sys.argv[1:]
runs, check = int(runs), check == "1"
charts_dir = os.path.join(corpus, "charts")
charts = sorted(d for d in os.listdir(charts_dir) if os.path.isfile(os.path.join(charts_dir, d, "Chart.yaml")))
if only:
    wanted = only.split(",")
    charts = [c for c in charts if c in wanted]

def measure(argv):
    """Runs argv once from charts/, output discarded; returns (wall seconds, peak RSS KiB, exit code)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(charts_dir)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(devnull)
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status)

rows, failures = [], []
for chart in charts:
    a = shlex.split(opm) + ["lint", chart]
    b = [helm, "lint", chart]
    measure(a), measure(b)  # warm-up (page cache, dynamic loader)
    ta, tb, ma, mb, codes, hcodes = [], [], [], [], set(), set()
    for _ in range(runs):
        wall, rss, code = measure(a)
        ta.append(wall); ma.append(rss); codes.add(code)
        wall, rss, code = measure(b)
        tb.append(wall); mb.append(rss); hcodes.add(code)
    rows.append((chart, statistics.median(ta), statistics.median(tb),
                 statistics.median(ma), statistics.median(mb), codes, hcodes))
    print(f"  {chart}: done", file=sys.stderr)

print(f"\nkubectl-opm lint vs helm lint (Helm 4), median of {runs} interleaved runs\n")
print("| chart | opm ms | helm4 ms | time ratio (opm/helm) | opm MiB | helm4 MiB | opm exit | helm exit |")
print("|---|---:|---:|---:|---:|---:|---|---|")
tot_a = tot_b = 0.0
for chart, ta, tb, ma, mb, codes, hcodes in rows:
    ratio = ta / tb
    tot_a += ta; tot_b += tb
    ex = ",".join(str(c) for c in sorted(codes))
    hx = ",".join(str(c) for c in sorted(hcodes))
    print(f"| {chart} | {ta * 1000:.1f} | {tb * 1000:.1f} | {ratio:.2f} | {ma / 1024:.1f} | {mb / 1024:.1f} | {ex} | {hx} |")
    if codes - {0, 1}:
        failures.append(f"{chart}: opm lint exited {ex}")
    if ratio > 0.5:
        failures.append(f"{chart}: time ratio {ratio:.2f} > 0.5")
if rows:
    print(f"| **total** | {tot_a * 1000:.1f} | {tot_b * 1000:.1f} | {tot_a / tot_b:.2f} | | | | |")
print()
if failures:
    print("Targets missed (opm lint at most 0.5x helm lint):")
    for f in failures:
        print(f"- {f}")
else:
    print("All charts meet the target (opm lint at most 0.5x helm lint).")
if check and failures:
    sys.exit(1)
PY
  local status=${PIPESTATUS[0]}
  echo "saved $out" >&2
  return "$status"
}
