#!/usr/bin/python3
"""FaceMatch 1:N scan vs FAISS IndexFlatIP on the same N, d, threads and batch.

Runs `facematch bench match --json` (ours) and a FAISS IndexFlatIP search over a random L2-normalised gallery of
the same shape, interleaved (ours, FAISS, ours, FAISS, ...) because the machine may be shared, and prints the
medians and the ours/FAISS ratios. Also runs `facematch bench membw --json` between repeats and reports the
single-thread float32 scan as a fraction of the measured single-thread read bandwidth.

FAISS here is Debian's python3-faiss 1.7.3 (`import faiss`; built GENERIC, i.e. without AVX2 kernels). A single
query (--batch below 20) runs FAISS's own scan; a batch runs one sgemm through whatever libblas.so.3 the system
resolves, so the batched baseline is only as good as that BLAS. Both sides also report CPU time (user + system of
the whole process, every thread, over the timed passes: `cpu_seconds`, `queries_per_cpu_sec`) beside wall-clock
rates, since on a shared machine the wall clock swings with everyone else's load. For an honest batched baseline:

  apt-get install libopenblas0-pthread     # libblas.so.3 -> OpenBLAS (the reference BLAS is 10x slower)
  unset OPENBLAS_CORETYPE                  # a forced core type (e.g. Haswell) hides OpenBLAS's AVX-512 kernels

The script reports which BLAS FAISS loaded and OpenBLAS's core, warns when it is the reference BLAS, and drops
OPENBLAS_CORETYPE from its own environment before FAISS loads (--keep-openblas-coretype keeps it). Without root,
an unpacked package works too: `apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb DIR`
and run with LD_LIBRARY_PATH=DIR/usr/lib/x86_64-linux-gnu/openblas-pthread. Queries are random unit vectors in
both; FAISS's speed does not depend on the data.

Examples:
  bench/faiss/compare.py --n 200000 --dim 512 --threads 1 --batch 1 --dtypes f32,i8
  bench/faiss/compare.py --n 200000 --dim 512 --threads 1 --batch 200 --queries 400 --dtypes f32,f16,i8
  bench/faiss/compare.py --exe out/facematch --n 1000000 --dim 128 --repeats 3 --json-out /tmp/cmp.json
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exe", help="facematch executable (default: out/facematch if built, else `dotnet run` of src/FaceMatch.Cli)")
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--queries", type=int, default=200, help="timed queries per run")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--dtypes", default="f32,i8", help="comma-separated: f32,f16,i8")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs of each side; medians are reported")
    p.add_argument("--agreement-queries", type=int, default=1000)
    p.add_argument("--no-membw", action="store_true", help="skip the bandwidth measurement")
    p.add_argument("--json-out", help="also write all raw results here")
    p.add_argument("--keep-openblas-coretype", action="store_true",
                   help="keep OPENBLAS_CORETYPE from the environment (default: drop it before FAISS loads OpenBLAS)")
    return p.parse_args()


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def facematch_command(args):
    if args.exe:
        return [os.path.abspath(args.exe)]
    built = os.path.join(repo_root(), "out", "facematch")
    if os.path.exists(built):
        return [built]
    # Build once, then run the built dll (dotnet run would rebuild-check every time).
    proj = os.path.join(repo_root(), "src", "FaceMatch.Cli")
    subprocess.run(["dotnet", "build", "-c", "Release", "--nologo", "-v", "quiet", proj], check=True)
    return ["dotnet", os.path.join(proj, "bin", "Release", "net10.0", "facematch.dll")]


def run_ours(cmd, args, dtype):
    argv = cmd + ["bench", "match", "--json", "--n", str(args.n), "--dim", str(args.dim), "--threads", str(args.threads),
                  "--batch", str(args.batch), "--queries", str(args.queries), "--k", str(args.k), "--dtype", dtype,
                  # f32 only when the batch goes through packed panels (their scores round differently from a single
                  # query's, so top-1 is checked against the single-query scan); the bench skips it otherwise.
                  "--agreement-queries", str(args.agreement_queries if dtype != "f32" or args.batch >= 32 else 0)]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_membw(cmd, threads):
    argv = cmd + ["bench", "membw", "--json", "--threads", str(threads), "--repeats", "5"]
    return json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


class Faiss:
    """A FAISS IndexFlatIP over a random normalised gallery; built once, timed many times."""

    def __init__(self, args):
        import faiss
        import numpy as np
        self.np, self.faiss = np, faiss
        self.blas = loaded_blas()
        faiss.omp_set_num_threads(args.threads)
        rng = np.random.default_rng(42)
        self.index = faiss.IndexFlatIP(args.dim)
        chunk = 100_000
        for start in range(0, args.n, chunk):  # in chunks: the float64 temporaries of 1M x 512 would need 4 GB
            x = rng.standard_normal((min(chunk, args.n - start), args.dim), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            self.index.add(x)
        q = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
        self.queries = q / np.linalg.norm(q, axis=1, keepdims=True)
        self.args = args

    def run(self):
        a = self.args
        passes = (a.queries + a.batch - 1) // a.batch
        self.index.search(self.queries[: a.batch], a.k)  # warm-up
        self.index.search(self.queries[: a.batch], a.k)
        pass_ms = []
        cpu0 = process_cpu_seconds()
        t0 = time.perf_counter()
        for p in range(passes):
            t = time.perf_counter()
            self.index.search(self.queries[p * a.batch:(p + 1) * a.batch], a.k)
            pass_ms.append((time.perf_counter() - t) * 1000)
        seconds = time.perf_counter() - t0
        cpu = process_cpu_seconds() - cpu0
        bytes_per_pass = a.n * a.dim * 4
        return {"queries_per_sec": a.queries / seconds, "gb_per_sec": passes * bytes_per_pass / seconds / 1e9,
                "ms_per_pass_p50": statistics.median(pass_ms), "seconds": seconds,
                "cpu_seconds": cpu, "queries_per_cpu_sec": a.queries / max(cpu, 1e-6)}


def process_cpu_seconds():
    """User + system time of this whole process (every thread: OpenMP's and OpenBLAS's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def loaded_blas():
    """Which BLAS this process loaded (FAISS's batched search is one sgemm through it), and OpenBLAS's core."""
    import ctypes
    paths = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if ("blas" in name or "mkl" in name) and ".so" in name and path not in paths:
                paths.append(path)
    info = {"libraries": paths, "openblas_core": None, "reference_blas": any("/blas/libblas.so" in p for p in paths)}
    for path in paths:
        if "openblas" in path:
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["openblas_core"] = lib.openblas_get_corename().decode()
                info["openblas_config"] = lib.openblas_get_config().decode()
            except (OSError, AttributeError):
                pass
            break
    return info


def main():
    args = parse_args()
    if os.environ.get("OPENBLAS_CORETYPE") and not args.keep_openblas_coretype:
        # OpenBLAS reads it when it loads, which is when FAISS is imported below.
        print(f"# dropping OPENBLAS_CORETYPE={os.environ.pop('OPENBLAS_CORETYPE')} so OpenBLAS picks its kernels for this CPU "
              "(--keep-openblas-coretype keeps it)", file=sys.stderr)
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    # FAISS's OpenMP and BLAS threads follow --threads.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    cmd = facematch_command(args)
    print(f"# facematch: {' '.join(cmd)}", file=sys.stderr)
    print(f"# building FAISS IndexFlatIP n={args.n} d={args.dim}", file=sys.stderr)
    faiss_index = Faiss(args)
    blas = faiss_index.blas
    print(f"# FAISS BLAS: {', '.join(blas['libraries']) or 'none found'}"
          + (f" (OpenBLAS core {blas['openblas_core']})" if blas["openblas_core"] else ""), file=sys.stderr)
    if args.batch >= 20 and (blas["reference_blas"] or not blas["openblas_core"]):
        print("# WARNING: FAISS's batched search runs on the reference BLAS, not OpenBLAS: the baseline is far too slow."
              " Install libopenblas0-pthread (apt-get install libopenblas0-pthread) and unset OPENBLAS_CORETYPE.",
              file=sys.stderr)

    ours = {d: [] for d in dtypes}
    theirs, membw = [], []
    for r in range(args.repeats):
        if not args.no_membw:
            membw.append(run_membw(cmd, args.threads))
        for d in dtypes:
            ours[d].append(run_ours(cmd, args, d))
            print(f"# repeat {r + 1}: ours {d} {ours[d][-1]['queries_per_sec']:.1f} q/s, "
                  f"{ours[d][-1].get('queries_per_cpu_sec', float('nan')):.1f} per CPU second", file=sys.stderr)
            theirs.append(faiss_index.run())  # FAISS after each of ours: interleaved
            print(f"# repeat {r + 1}: faiss   {theirs[-1]['queries_per_sec']:.1f} q/s, "
                  f"{theirs[-1]['queries_per_cpu_sec']:.1f} per CPU second", file=sys.stderr)

    med = lambda xs, key: statistics.median(x[key] for x in xs)
    spread = lambda xs, key: [min(x[key] for x in xs), max(x[key] for x in xs)]
    faiss_qps = med(theirs, "queries_per_sec")
    faiss_cpu_qps = med(theirs, "queries_per_cpu_sec")
    summary = {
        "n": args.n, "dim": args.dim, "threads": args.threads, "batch": args.batch, "k": args.k,
        "queries": args.queries, "repeats": args.repeats, "faiss_blas": faiss_index.blas,
        "faiss": {"queries_per_sec": faiss_qps, "queries_per_sec_range": spread(theirs, "queries_per_sec"),
                  "queries_per_cpu_sec": faiss_cpu_qps, "queries_per_cpu_sec_range": spread(theirs, "queries_per_cpu_sec"),
                  "gb_per_sec": med(theirs, "gb_per_sec"),
                  "ms_per_pass_p50": med(theirs, "ms_per_pass_p50")},
        "ours": {},
    }
    if membw:
        summary["membw"] = {"single_thread_gb_per_sec": med(membw, "single_thread_gb_per_sec"),
                            "multi_thread_gb_per_sec": med(membw, "multi_thread_gb_per_sec"),
                            "threads": args.threads}
    for d in dtypes:
        entry = {"queries_per_sec": med(ours[d], "queries_per_sec"), "queries_per_sec_range": spread(ours[d], "queries_per_sec"),
                 "gb_per_sec": med(ours[d], "gb_per_sec"),
                 "ms_per_pass_p50": med(ours[d], "ms_per_pass_p50"), "kernel": ours[d][0]["kernel"],
                 "strategy": ours[d][0]["strategy"]}
        entry["ratio_vs_faiss"] = entry["queries_per_sec"] / faiss_qps
        if all("queries_per_cpu_sec" in x for x in ours[d]):
            entry["queries_per_cpu_sec"] = med(ours[d], "queries_per_cpu_sec")
            entry["queries_per_cpu_sec_range"] = spread(ours[d], "queries_per_cpu_sec")
            entry["cpu_ratio_vs_faiss"] = entry["queries_per_cpu_sec"] / faiss_cpu_qps
        for key in ("top1_agreement", "top1_agreement_genuine", "top1_agreement_random"):
            if key in ours[d][0]:
                entry[key] = min(x[key] for x in ours[d])
        if membw and d == "f32":
            bw = summary["membw"]["single_thread_gb_per_sec" if args.threads == 1 else "multi_thread_gb_per_sec"]
            entry["fraction_of_read_bandwidth"] = entry["gb_per_sec"] / bw
        summary["ours"][d] = entry

    print(f"n={args.n} d={args.dim} threads={args.threads} batch={args.batch} k={args.k} "
          f"(medians of {args.repeats} interleaved runs)")
    lo, hi = summary["faiss"]["queries_per_sec_range"]
    clo, chi = summary["faiss"]["queries_per_cpu_sec_range"]
    print(f"  FAISS IndexFlatIP f32: {faiss_qps:10.1f} q/s ({lo:.1f}-{hi:.1f})  {summary['faiss']['gb_per_sec']:6.2f} GB/s"
          f"  per CPU second {faiss_cpu_qps:.1f} q/s ({clo:.1f}-{chi:.1f})")
    for d, e in summary["ours"].items():
        extra = ""
        if "top1_agreement" in e:
            extra += f"  top1 agreement genuine {e['top1_agreement_genuine']:.4f} random {e['top1_agreement_random']:.4f}"
        if "fraction_of_read_bandwidth" in e:
            extra += f"  {100 * e['fraction_of_read_bandwidth']:.0f}% of read bandwidth"
        lo, hi = e["queries_per_sec_range"]
        cpu = ""
        if "queries_per_cpu_sec" in e:
            clo, chi = e["queries_per_cpu_sec_range"]
            cpu = f"  per CPU second {e['queries_per_cpu_sec']:.1f} q/s ({clo:.1f}-{chi:.1f}) ratio {e['cpu_ratio_vs_faiss']:.2f}x"
        print(f"  ours {d:>3} ({e['strategy']}, {e['kernel']}): {e['queries_per_sec']:10.1f} q/s ({lo:.1f}-{hi:.1f})  {e['gb_per_sec']:6.2f} GB/s"
              f"  ratio {e['ratio_vs_faiss']:.2f}x{cpu}{extra}")
    if membw:
        print(f"  read bandwidth: 1 thread {summary['membw']['single_thread_gb_per_sec']:.2f} GB/s, "
              f"{args.threads} threads {summary['membw']['multi_thread_gb_per_sec']:.2f} GB/s")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"summary": summary, "ours": ours, "faiss": theirs, "membw": membw}, f, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
