#!/usr/bin/python3
"""FaceMatch through its Compare RPC: every genuine and impostor pair of a labelled folder, one call after another,
against a running `facematch serve`.

    compare_grpc.py --target 127.0.0.1:PORT --folder DIR --out RESULT.json --scores-out SCORES.csv \
        [--server-pid PID] [--warmup 3] < token

The tenant token comes on stdin (never on the command line). Each call sends both photos and the server decodes,
detects, aligns and embeds each (two photos per call), so photos/s = 2 x calls/s. With --server-pid the server's
CPU time over the timed calls is read from /proc. Messages come from Debian's protoc (--python_out) over
src/FaceMatch.Server/Protos/facematch.proto; calls are grpcio's generic ones. Loopback only.
"""
import argparse, json, os, subprocess, sys, tempfile, time
import grpc

p = argparse.ArgumentParser()
p.add_argument("--target", required=True)
p.add_argument("--folder", required=True)
p.add_argument("--out", required=True)
p.add_argument("--scores-out", required=True)
p.add_argument("--server-pid", type=int)
p.add_argument("--warmup", type=int, default=3)
o = p.parse_args()
if not o.target.startswith(("127.", "localhost", "[::1]")):
    sys.exit("loopback targets only")
token = sys.stdin.readline().strip()
if not token:
    sys.exit("the tenant token is read from stdin")

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
stubs = tempfile.mkdtemp()
subprocess.run(["protoc", "-I", os.path.join(root, "src/FaceMatch.Server/Protos"), "--python_out=" + stubs, "facematch.proto"], check=True)
sys.path.insert(0, stubs)
import facematch_pb2 as fm  # noqa: E402


def photos(folder):
    """Every photo as (rel, person): one sub-folder per person, `_` folders skipped, ordinal order (as `facematch eval`)."""
    people = []
    for person in sorted(d for d in os.listdir(folder) if not d.startswith("_") and os.path.isdir(os.path.join(folder, d))):
        files = sorted(f for f in os.listdir(os.path.join(folder, person)) if f.lower().endswith((".jpg", ".jpeg", ".png")))
        if files:
            people.append([(f"{person}/{f}", person) for f in files])
    if len(people) < 2:
        sys.exit(f"{folder}: need at least two person folders with images")
    return [x for group in people for x in group]


def server_cpu_seconds():
    if o.server_pid is None:
        return None
    with open(f"/proc/{o.server_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


folder = os.path.abspath(o.folder)
listed = photos(folder)
encoded = [open(os.path.join(folder, rel), "rb").read() for rel, _ in listed]
pairs = [(i, j) for i in range(len(listed)) for j in range(i + 1, len(listed))]

channel = grpc.insecure_channel(o.target, options=[("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
compare = channel.unary_unary("/facematch.v1.FaceMatch/Compare", request_serializer=fm.CompareRequest.SerializeToString,
                              response_deserializer=fm.CompareResponse.FromString)
metadata = (("authorization", "Bearer " + token),)


def call(i, j):
    try:
        return compare(fm.CompareRequest(image_a=encoded[i], image_b=encoded[j]), metadata=metadata, timeout=120).score, None
    except grpc.RpcError as e:
        return None, e


for i, j in pairs[:o.warmup]:
    call(i, j)

rows, latencies, failed = ["path_a,path_b,same,score"], [], {}
cpu0, client0, start = server_cpu_seconds(), time.process_time(), time.perf_counter()
for i, j in pairs:
    t = time.perf_counter()
    score, error = call(i, j)
    latencies.append((time.perf_counter() - t) * 1000)
    if error is not None:
        if error.code() != grpc.StatusCode.INVALID_ARGUMENT:  # INVALID_ARGUMENT: no face in one photo; anything else is a broken run
            sys.exit(f"Compare failed: {error.code().name}: {error.details()}")
        failed[error.details()] = failed.get(error.details(), 0) + 1
        continue
    same = 1 if listed[i][1] == listed[j][1] else 0
    rows.append(f"{listed[i][0]},{listed[j][0]},{same},{score!r}")
seconds = time.perf_counter() - start
client_cpu = time.process_time() - client0
cpu1 = server_cpu_seconds()

with open(o.scores_out, "w") as f:
    f.write("\n".join(rows) + "\n")
latencies.sort()
photos_timed = 2 * len(pairs)
result = {
    "system": "facematch-grpc",
    "photos": len(listed),
    "calls": len(pairs),
    "timed_photos": photos_timed,
    "seconds": round(seconds, 4),
    "photos_per_sec": round(photos_timed / seconds, 3),
    "ms_per_call_p50": round(latencies[len(latencies) // 2], 3),
    "ms_per_photo_p50": round(latencies[len(latencies) // 2] / 2, 3),
    "client_cpu_ms_per_photo": round(1000 * client_cpu / photos_timed, 3),
    "failed_calls": failed,
    "grpcio": grpc.__version__,
}
if cpu0 is not None:
    result["cpu_seconds"] = round(cpu1 - cpu0, 4)
    result["cpu_ms_per_photo"] = round(1000 * (cpu1 - cpu0) / photos_timed, 3)
with open(o.out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
