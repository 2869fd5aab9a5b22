#!/usr/bin/python3
"""FaceMatch's approximate index vs FAISS IndexHNSWFlat (and hnswlib) on the same synthetic identities.

Generates a gallery of synthetic identities (N / --samples random unit centres, each with --samples noisy samples:
sample = centre + noise * random unit vector, renormalised; --noise 0.8 gives cosine ~0.78 to the centre and ~0.6
between two samples) and probes (fresh samples of random identities), writes them as raw float32 files, and runs:

  ours     `facematch bench ann --vectors-file ... --probes-file ... --json` (exact scan, then our HNSW)
  FAISS    IndexHNSWFlat(d, M, METRIC_INNER_PRODUCT), same M, efConstruction and ef; ground truth from IndexFlatIP
  hnswlib  optional (--hnswlib-include DIR, e.g. /usr/include from Debian's libhnswlib-dev): bench/ann/hnswlib_bench.cpp
           compiled with -O3 -march=native

Every side runs one thread and builds once (FAISS's build on --faiss-build-threads, for a 1M build that would
otherwise take well over an hour here); searches time the probes one at a time (FAISS: one search call over
all probes, which it answers one after another on its one OpenMP thread, so no Python overhead per probe).
Recall is against the exact top 10 of each probe. The FAISS here is Debian's python3-faiss 1.7.3, built GENERIC
(no AVX2 kernels), which flatters our ratio: its distance computations are not vectorised for this CPU.

Examples:
  bench/faiss/compare_ann.py --exe out/facematch --n 200000 --dim 512 --queries 500 --ef 16,32,64,128
  bench/faiss/compare_ann.py --exe out/facematch --n 1000000 --dim 512 --queries 1000 --ef 32,64 --skip-faiss
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exe", default="out/facematch", help="facematch executable")
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--samples", type=int, default=4, help="samples per identity")
    p.add_argument("--noise", type=float, default=0.8)
    p.add_argument("--intrinsic-dim", type=int, default=0,
                   help="identity centres on a random subspace of this many dimensions (0: isotropic in all --dim)")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=100)
    p.add_argument("--ef", default="16,32,64,128", help="comma-separated search ef values")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", help="where the vector files go (default: a temporary directory, removed after); "
                   "files a previous run left there with the same n, dim, queries, samples, noise and seed are reused")
    p.add_argument("--faiss-build-threads", type=int, default=1,
                   help="OpenMP threads for FAISS's index build only (its searches always run on one thread)")
    p.add_argument("--skip-faiss", action="store_true")
    p.add_argument("--skip-ours", action="store_true")
    p.add_argument("--hnswlib-include", help="include directory holding hnswlib/hnswlib.h: also measure hnswlib")
    p.add_argument("--json-out", help="also write all results here")
    return p.parse_args()


def generate(args, workdir):
    import numpy as np
    vectors = os.path.join(workdir, "gallery.f32")
    probes_path = os.path.join(workdir, "probes.f32")
    params_path = os.path.join(workdir, "params.json")
    params = {k: getattr(args, k) for k in ("n", "dim", "queries", "samples", "noise", "seed", "intrinsic_dim")}
    if os.path.exists(params_path) and os.path.exists(vectors) and os.path.exists(probes_path):
        with open(params_path) as f:
            if json.load(f) == params:
                print(f"# reusing the vectors in {workdir}", file=sys.stderr)
                return vectors, probes_path, np.fromfile(probes_path, dtype=np.float32).reshape(args.queries, args.dim)
    rng = np.random.default_rng(args.seed)
    identities = max(1, args.n // args.samples)
    if 0 < args.intrinsic_dim < args.dim:
        # Centres on a random K-dimensional subspace (orthonormal basis from a QR), directions uniform within it.
        basis, _ = np.linalg.qr(rng.standard_normal((args.dim, args.intrinsic_dim)))
        centres = rng.standard_normal((identities, args.intrinsic_dim), dtype=np.float32) @ basis.T.astype(np.float32)
    else:
        centres = rng.standard_normal((identities, args.dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def samples(ids):
        noise = rng.standard_normal((len(ids), args.dim), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        x = centres[ids] + np.float32(args.noise) * noise
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    with open(vectors, "wb") as f:
        for start in range(0, args.n, 100_000):
            ids = np.arange(start, min(args.n, start + 100_000)) % identities
            f.write(samples(ids).astype(np.float32).tobytes())
    probes = samples(rng.integers(0, identities, args.queries)).astype(np.float32)
    probes.tofile(probes_path)
    with open(params_path, "w") as f:
        json.dump(params, f)  # written last: its presence means the vector files are complete
    return vectors, probes_path, probes


def load_gallery(args, path):
    import numpy as np
    return np.fromfile(path, dtype=np.float32).reshape(args.n, args.dim)


def faiss_truth(args, gallery, probes):
    import faiss
    flat = faiss.IndexFlatIP(args.dim)
    flat.add(gallery)
    _, ids = flat.search(probes, 10)
    return ids


def recall(found, truth):
    top1 = sum(1 for f, t in zip(found, truth) if len(f) and f[0] == t[0]) / len(truth)
    top10 = sum(len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth)) / len(truth)
    return top1, top10


def run_faiss(args, gallery, probes, truth, efs):
    import faiss
    faiss.omp_set_num_threads(args.faiss_build_threads)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    index = faiss.IndexHNSWFlat(args.dim, args.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = args.ef_construction
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    for start in range(0, args.n, 50_000):
        index.add(gallery[start:start + 50_000])
    build = time.perf_counter() - t0
    build_cpu = cpu_seconds() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    faiss.omp_set_num_threads(1)
    runs = []
    for ef in efs:
        index.hnsw.efSearch = ef
        index.search(probes[: min(100, len(probes))], 10)  # warm-up
        c = cpu_seconds()
        t = time.perf_counter()
        _, ids = index.search(probes, 10)
        seconds = time.perf_counter() - t
        cpu = cpu_seconds() - c
        r1, r10 = recall(ids.tolist(), truth.tolist())
        runs.append({"ef": ef, "queries_per_sec": len(probes) / seconds, "queries_per_cpu_sec": len(probes) / max(cpu, 1e-6),
                     "recall_at_1": r1, "recall_at_10": r10})
        print(f"# faiss   ef={ef}: {runs[-1]['queries_per_sec']:.0f} q/s ({runs[-1]['queries_per_cpu_sec']:.0f} per CPU second) "
              f"recall@1 {r1:.4f} @10 {r10:.4f}", file=sys.stderr)
    return {"library": "faiss IndexHNSWFlat", "build_seconds": build, "build_cpu_seconds": build_cpu,
            "max_rss_growth_bytes": (rss1 - rss0) * 1024, "runs": runs}


def cpu_seconds():
    """User + system time of this process, every thread (FAISS's OpenMP threads included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_hnswlib(args, vectors, probes_path, truth, workdir, efs):
    exe = os.path.join(workdir, "hnswlib_bench")
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ann", "hnswlib_bench.cpp")
    subprocess.run(["g++", "-O3", "-march=native", "-std=c++17", "-I", args.hnswlib_include, source, "-o", exe], check=True)
    truth_path = os.path.join(workdir, "truth.i32")
    truth.astype("int32").tofile(truth_path)
    out = subprocess.run([exe, vectors, probes_path, truth_path, str(args.n), str(args.dim), str(args.queries), str(args.m),
                          str(args.ef_construction), ",".join(map(str, efs))], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    for r in result["runs"]:
        print(f"# hnswlib ef={r['ef']}: {r['queries_per_sec']:.0f} q/s recall@1 {r['recall_at_1']:.4f}", file=sys.stderr)
    return result


def run_ours(args, vectors, probes_path, efs):
    argv = [os.path.abspath(args.exe), "bench", "ann", "--json", "--n", str(args.n), "--dim", str(args.dim),
            "--queries", str(args.queries), "--m", str(args.m), "--ef-construction", str(args.ef_construction),
            "--ef", ",".join(map(str, efs)), "--vectors-file", vectors, "--probes-file", probes_path]
    result = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)
    for r in result["runs"]:
        print(f"# ours    ef={r['ef']}: {r['queries_per_sec']:.0f} q/s ({r.get('queries_per_cpu_sec', float('nan')):.0f} per CPU second) "
              f"recall@1 {r['recall_at_1']:.4f}", file=sys.stderr)
    return result


def main():
    args = parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ.pop("OPENBLAS_CORETYPE", None)
    efs = [int(x) for x in args.ef.split(",") if x.strip()]
    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="fm-ann-")
    workdir = args.workdir or tmp.name
    os.makedirs(workdir, exist_ok=True)
    try:
        print(f"# generating n={args.n} d={args.dim} in {workdir}", file=sys.stderr)
        vectors, probes_path, probes = generate(args, workdir)
        results = {"n": args.n, "dim": args.dim, "queries": args.queries, "samples": args.samples, "noise": args.noise,
                   "intrinsic_dim": args.intrinsic_dim, "m": args.m, "ef_construction": args.ef_construction}
        if not args.skip_ours:
            results["ours"] = run_ours(args, vectors, probes_path, efs)
        if not args.skip_faiss or args.hnswlib_include:
            gallery = load_gallery(args, vectors)
            truth = faiss_truth(args, gallery, probes)
            if not args.skip_faiss:
                results["faiss"] = run_faiss(args, gallery, probes, truth, efs)
            if args.hnswlib_include:
                del gallery
                results["hnswlib"] = run_hnswlib(args, vectors, probes_path, truth, workdir, efs)
        print(f"n={args.n} d={args.dim} intrinsic_dim={args.intrinsic_dim or args.dim} M={args.m} efConstruction={args.ef_construction} queries={args.queries}, one thread")
        if "ours" in results:
            o = results["ours"]
            print(f"  exact scan: {o['exact_queries_per_sec']:.1f} q/s ({o.get('exact_queries_per_cpu_sec', float('nan')):.1f} per CPU second); "
                  f"our build {o['build_seconds']:.1f} s ({o.get('build_cpu_seconds', float('nan')):.1f} s CPU), "
                  f"index {results['ours']['index_bytes'] / 2**20:.0f} MiB")
        for name in ("faiss", "hnswlib"):
            if name in results:
                print(f"  {name} build {results[name]['build_seconds']:.1f} s"
                      + (f" ({results[name]['build_cpu_seconds']:.1f} s CPU)" if "build_cpu_seconds" in results[name] else ""))
        for i, ef in enumerate(efs):
            line = f"  ef={ef:4d}"
            for name in ("ours", "faiss", "hnswlib"):
                if name in results:
                    r = results[name]["runs"][i]
                    line += f"  {name} {r['queries_per_sec']:8.0f} q/s r@1 {r['recall_at_1']:.4f} r@10 {r['recall_at_10']:.4f}"
            if "ours" in results and "faiss" in results:
                o, f = results["ours"]["runs"][i], results["faiss"]["runs"][i]
                line += f"  ours/faiss {o['queries_per_sec'] / f['queries_per_sec']:.2f}x"
                if "queries_per_cpu_sec" in o:
                    line += f" ({o['queries_per_cpu_sec'] / f['queries_per_cpu_sec']:.2f}x per CPU second)"
            print(line)
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(results, f, indent=2)
        print(json.dumps(results))
    finally:
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    main()
