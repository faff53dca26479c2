#!/usr/bin/python3
"""run.py - the SPF benchmark: inkan vs pyspf vs libspf2, in one run.

Usage (from bench/spf/run.sh, which starts Knot and sets KNOT_PORT):
    run.py BUILD DATADIR [--repeat R] [--skip-dns]

Modes:
  zone  CPU cost of evaluation, DNS answered from the zone in memory:
        inkan: build/bench/inkan_spf_bench drives the check_host() state
               machine against an ink_memzone;
        libspf2: build/bench/libspf2_bench, libspf2's SPF_dns_zone;
        pyspf: pyspf with its DNSLookup answering from a dict.
  dns   end to end through Knot on 127.0.0.1:KNOT_PORT:
        inkan: `inkan spf --batch --parallel 256 --dns` (one thread driving
               many evaluations, libunbound with its cache);
        libspf2: libspf2_bench dns (libspf2's resolver under its cache),
               and spfquery -f, both pointed at Knot by resolv_shim.so;
        pyspf: dnspython pointed at Knot (no cache across evaluations).
  Rates are evaluations per second of wall time and per CPU-second of the
  evaluating process (user+system, threads included; Knot's own CPU is not
  counted): the second is the per-core figure the targets are about.
  cold  the COLD workload (gen_cold.py): every sender distinct, each of its
        five questions asked once, so no cache helps anyone; through the
        same Knot: dnsperf at 64 outstanding queries over exactly those
        questions gives the server's ceiling in queries per second; inkan
        `spf --batch` at 64 and 256 in flight; libspf2 (library and
        spfquery -f).  Queries per second of an implementation is the
        workload's questions over its wall time.
Memory: peak heap growth per evaluation in flight (inkan_spf_bench memory,
10,000 at once) and the RSS growth of `inkan spf --batch` from 1 to 2,000
in flight over Knot.
"""
import os
import re
import resource
import subprocess
import sys
import time

WORDS = {"pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"}


def run_timed(cmd, env=None, stdout=None, stdin=None, any_status=False):
    """Run cmd; return (wall, cpu of the child incl. threads, maxrss KiB, stdout).
    any_status: the exit status carries a result (spfquery), not success."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=stdout or subprocess.PIPE, stdin=stdin,
                       stderr=subprocess.PIPE, check=False)
    w1 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0 and not any_status:
        sys.stderr.write("run.py: %s failed (%d): %s\n" % (cmd[0], p.returncode,
                                                          p.stderr.decode()[-2000:]))
        raise SystemExit(1)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return w1 - w0, cpu, after.ru_maxrss, (p.stdout.decode() if p.stdout else "")


def parse_self_timed(out):
    """'evaluations N wall S cpu S' printed by a driver."""
    f = out.split()
    i = f.index("evaluations")
    return int(f[i + 1]), float(f[i + 3]), float(f[i + 5])


def read_results(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip()]


def spfquery_results(text):
    """spfquery -f prints several lines per query; the first is the result."""
    return [l.strip() for l in text.splitlines() if l.strip() in WORDS]


def agree(a, b):
    n = min(len(a), len(b))
    same = sum(1 for i in range(n) if a[i] == b[i])
    return same, max(len(a), len(b))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    build, data = os.path.abspath(args[0]), os.path.abspath(args[1])
    load_start = loadavg()
    repeat = 5
    skip_dns = "--skip-dns" in args
    if "--repeat" in args:
        repeat = int(args[args.index("--repeat") + 1])
    here = os.path.dirname(os.path.abspath(__file__))
    zone, records, queries = (os.path.join(data, f) for f in ("bench.zone", "records.tsv", "queries.txt"))
    nq = sum(1 for _ in open(queries))
    inkan = os.path.join(build, "inkan")
    ibench = os.path.join(build, "bench", "inkan_spf_bench")
    lbench = os.path.join(build, "bench", "libspf2_bench")
    shim = os.path.join(build, "bench", "libresolv_shim.so")
    have_libspf2 = os.path.exists(lbench)
    rows = []   # (mode, impl, evals, wall, cpu)
    results = {}

    # ---- zone (CPU) ----
    out = os.path.join(data, "zone.inkan")
    n, w, c = parse_self_timed(run_timed([ibench, "zone", zone, queries, out, str(repeat)])[3])
    rows.append(("zone", "inkan", n, w, c))
    results[("zone", "inkan")] = read_results(out)
    if have_libspf2:
        out = os.path.join(data, "zone.libspf2")
        n, w, c = parse_self_timed(run_timed([lbench, "zone", records, queries, out])[3])
        rows.append(("zone", "libspf2", n, w, c))
        results[("zone", "libspf2")] = read_results(out)
    out = os.path.join(data, "zone.pyspf")
    n, w, c = parse_self_timed(run_timed(["/usr/bin/python3", os.path.join(here, "pyspf_bench.py"),
                                          "zone", records, queries, out])[3])
    rows.append(("zone", "pyspf", n, w, c))
    results[("zone", "pyspf")] = read_results(out)

    # ---- memory ----
    mem = {}
    o = run_timed([ibench, "memory", zone, queries, "10000"])[3].split()
    mem["heap_per_eval"] = float(o[o.index("per_eval") + 1])
    mem["heap_inflight"] = int(o[o.index("inflight") + 1])

    # ---- dns (end to end through Knot) ----
    port = os.environ.get("KNOT_PORT")
    if port and not skip_dns:
        server = "127.0.0.1:%s" % port
        out = os.path.join(data, "dns.inkan")
        with open(out, "w") as fo:
            w, c, _, _ = run_timed([inkan, "spf", "--dns", server, "--batch", queries,
                                    "--parallel", "256"], stdout=fo)
        rows.append(("dns", "inkan (--batch, 256 in flight)", nq, w, c))
        results[("dns", "inkan")] = [l.split()[0] for l in read_results(out)]
        rss = {}
        for par in (1, 2000):
            with open(os.devnull, "w") as fo:
                p = subprocess.Popen(["/usr/bin/time", "-f", "%M", inkan, "spf", "--dns", server,
                                      "--batch", queries, "--parallel", str(par)],
                                     stdout=fo, stderr=subprocess.PIPE)
                err = p.communicate()[1].decode().strip().splitlines()
                rss[par] = int(err[-1])
        mem["rss_1"], mem["rss_2000"] = rss[1], rss[2000]
        mem["rss_per_eval"] = (rss[2000] - rss[1]) * 1024.0 / 1999
        env = dict(os.environ, INKAN_BENCH_DNS=server, LD_PRELOAD=shim)
        if have_libspf2:
            out = os.path.join(data, "dns.libspf2")
            n, w, c = parse_self_timed(run_timed([lbench, "dns", queries, out], env=env)[3])
            rows.append(("dns", "libspf2 (library, its cache)", n, w, c))
            results[("dns", "libspf2")] = read_results(out)
        w, c, _, txt = run_timed(["spfquery", "-f", queries], env=env, any_status=True)
        rows.append(("dns", "libspf2 (spfquery -f)", nq, w, c))
        results[("dns", "spfquery")] = spfquery_results(txt)
        out = os.path.join(data, "dns.pyspf")
        n, w, c = parse_self_timed(run_timed(["/usr/bin/python3", os.path.join(here, "pyspf_bench.py"),
                                              "dns", "127.0.0.1", port, queries, out])[3])
        rows.append(("dns", "pyspf (dnspython)", n, w, c))
        results[("dns", "pyspf")] = read_results(out)

    # ---- cold: every question asked once ----
    cold = []   # (impl, evals, questions, wall, cpu)
    ceiling = None
    cold_q = os.path.join(data, "cold-queries.txt")
    cold_d = os.path.join(data, "cold-dnsperf.txt")
    if port and not skip_dns and os.path.exists(cold_q):
        server = "127.0.0.1:%s" % port
        ncold = sum(1 for _ in open(cold_q))
        nquest = sum(1 for _ in open(cold_d))
        p = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", port, "-d", cold_d, "-q", "64",
                            "-n", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        m = re.search(r"Queries per second:\s+([0-9.]+)", p.stdout.decode())
        if p.returncode != 0 or m is None:
            sys.stderr.write("run.py: dnsperf failed: %s\n" % p.stdout.decode()[-2000:])
            raise SystemExit(1)
        ceiling = float(m.group(1))
        for par in (64, 256):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            with open(os.path.join(data, "cold.inkan"), "w") as fo:
                p = subprocess.run([inkan, "spf", "--dns", server, "--batch", cold_q, "--parallel",
                                    str(par), "--stats"], stdout=fo, stderr=subprocess.PIPE,
                                   check=False)
            w1 = time.perf_counter()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if p.returncode != 0:
                sys.stderr.write("run.py: inkan spf --batch (cold) failed: %s\n" % p.stderr.decode()[-2000:])
                raise SystemExit(1)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            cold.append(("inkan (--batch, %d in flight)" % par, ncold, nquest, w1 - w0, cpu))
            res = [l.split()[0] for l in read_results(os.path.join(data, "cold.inkan"))]
            if res.count("fail") != ncold:
                sys.stderr.write("run.py: cold workload: inkan gave %d fail of %d\n" % (res.count("fail"), ncold))
                raise SystemExit(1)
        env = dict(os.environ, INKAN_BENCH_DNS=server, LD_PRELOAD=shim)
        if have_libspf2:
            n, w, c = parse_self_timed(run_timed([lbench, "dns", cold_q, os.path.join(data, "cold.libspf2")],
                                                 env=env)[3])
            cold.append(("libspf2 (library)", n, nquest, w, c))
        w, c, _, txt = run_timed(["spfquery", "-f", cold_q], env=env, any_status=True)
        got = spfquery_results(txt)
        if got.count("fail") != ncold:
            sys.stderr.write("run.py: cold workload: spfquery gave %d fail of %d\n" % (got.count("fail"), ncold))
            raise SystemExit(1)
        cold.append(("libspf2 (spfquery -f)", ncold, nquest, w, c))

    # ---- report ----
    print("SPF benchmark: %d queries over %s" % (nq, data))
    print("machine: %s, %d cores (nproc); load average %s at the start, %s at the end"
          % (cpu_model(), os.cpu_count() or 0, load_start, loadavg()))
    print()
    print("| mode | implementation | evaluations | wall s | CPU s | evals/s (wall) | evals/s per core (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for mode, impl, n, w, c in rows:
        print("| %s | %s | %d | %.3f | %.3f | %.0f | %.0f |" % (mode, impl, n, w, c, n / w, n / max(c, 1e-9)))
    print()
    for mode in ("zone", "dns"):
        mine = [r for r in rows if r[0] == mode and r[1].startswith("inkan")]
        if not mine:
            continue
        _, _, n0, w0, c0 = mine[0]
        for r in rows:
            if r[0] == mode and not r[1].startswith("inkan"):
                print("%s: inkan / %s = %.1fx per core (CPU), %.1fx wall" % (
                    mode, r[1], (n0 / max(c0, 1e-9)) / (r[2] / max(r[4], 1e-9)), (n0 / w0) / (r[2] / r[3])))
    print()
    if cold:
        print("Cold workload (every question asked once), through Knot; ceiling: dnsperf -q 64 "
              "over the same questions = %.0f queries/s" % ceiling)
        print()
        print("| implementation | evaluations | questions | wall s | CPU s | evals/s (wall) | queries/s (wall) | % of ceiling | evals per CPU-s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for impl, n, nqs, w, c in cold:
            print("| %s | %d | %d | %.3f | %.3f | %.0f | %.0f | %.0f%% | %.0f |" % (
                impl, n, nqs, w, c, n / w, nqs / w, 100.0 * nqs / w / ceiling, n / max(c, 1e-9)))
        print()
        sq = [r for r in cold if r[0] == "libspf2 (spfquery -f)"][0]
        for r in cold:
            if r[0].startswith("inkan"):
                print("cold: %s / spfquery -f = %.1fx evals/s (wall), %.1fx per CPU-s; %.0f%% of the dnsperf ceiling"
                      % (r[0], (r[1] / r[3]) / (sq[1] / sq[3]), (r[1] / max(r[4], 1e-9)) / (sq[1] / max(sq[4], 1e-9)),
                         100.0 * r[2] / r[3] / ceiling))
        print()
    print("memory: peak heap growth %.0f bytes per evaluation in flight (%d at once, in memory)"
          % (mem["heap_per_eval"], mem["heap_inflight"]))
    if "rss_per_eval" in mem:
        print("memory: inkan spf --batch over Knot: max RSS %d KiB with 1 in flight, %d KiB with 2000: %.0f bytes per evaluation in flight"
              % (mem["rss_1"], mem["rss_2000"], mem["rss_per_eval"]))
    print()
    ref = results[("zone", "pyspf")]
    for k, v in sorted(results.items()):
        same, tot = agree(v, ref)
        print("agreement with pyspf (zone): %-16s %d of %d results the same" % ("%s/%s" % k, same, tot))


def loadavg():
    """the 1, 5 and 15 minute load averages, as uptime prints them"""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
