// One table from the runners' results: speed (wall clock and CPU time per photo, each against the first row,
// FaceMatch in-process) and accuracy on the same pairs, each system scored by its own distance (higher = more alike).
//   node summarize.mjs RESULTS_DIR NAME... (each NAME has NAME.json and NAME.csv in RESULTS_DIR; the first is the reference)
// The metrics follow FaceMatch.Vision.Evaluation.VerificationMetrics; they are checked against the figures
// `facematch bench embed` computed with it on its own scores, and every system must have scored the same pairs.
import fs from 'node:fs';
import path from 'node:path';

const [dir, ...names] = process.argv.slice(2);
if (!dir || names.length === 0) throw new Error('usage: node summarize.mjs RESULTS_DIR NAME...');

function readScores(file) {
  const pairs = new Map();
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [a, b, same, score] = line.split(',');
    pairs.set([a, b].sort().join('|'), { same: same === '1', score: Number(score) });
  }
  return pairs;
}

/** AUC (ties half), d′, EER, TAR at FAR f: as VerificationMetrics computes them. */
export function metrics(genuine, impostor) {
  let wins = 0;
  for (const g of genuine) for (const i of impostor) wins += g > i ? 1 : g === i ? 0.5 : 0;
  const moments = (x) => {
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    return [mean, x.length < 2 ? 0 : x.reduce((s, v) => s + (v - mean) ** 2, 0) / (x.length - 1)];
  };
  const [mg, vg] = moments(genuine);
  const [mi, vi] = moments(impostor);
  const pooled = Math.sqrt((vg + vi) / 2);
  const below = (t) => genuine.filter((g) => g < t).length;
  let best = Infinity;
  let eer = 1;
  for (const t of [...new Set([...genuine, ...impostor])].sort((a, b) => a - b)) {
    const frr = below(t) / genuine.length;
    const far = impostor.filter((i) => i >= t).length / impostor.length;
    if (Math.abs(far - frr) < best) { best = Math.abs(far - frr); eer = (far + frr) / 2; }
  }
  const impDesc = [...impostor].sort((a, b) => b - a);
  // The lowest threshold accepting at most floor(far·n) impostors: accept strictly above the first one rejected.
  const tarAtFar = (far) => {
    const allowed = Math.floor(far * impDesc.length);
    return allowed >= impDesc.length ? 1 : genuine.filter((g) => g > impDesc[allowed]).length / genuine.length;
  };
  return { auc: wins / (genuine.length * impostor.length), dprime: pooled > 0 ? Math.abs(mg - mi) / pooled : Infinity, eer, tar1: tarAtFar(0.01), tar0: tarAtFar(0) };
}

const systems = names.map((name) => {
  const result = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const scores = readScores(path.join(dir, `${name}.csv`));
  const genuine = [...scores.values()].filter((p) => p.same).map((p) => p.score);
  const impostor = [...scores.values()].filter((p) => !p.same).map((p) => p.score);
  return { name, result, scores, genuine, impostor, m: metrics(genuine, impostor) };
});

const notes = [];
const f0 = (x, d = 1) => Number(x).toFixed(d);
// This implementation against the C# one, on the scores FaceMatch in-process wrote.
for (const s of systems.filter((x) => x.result.benchmark === 'embed' && x.result.auc !== undefined)) {
  const diffs = { auc: s.m.auc - s.result.auc, dprime: s.m.dprime - s.result.dprime, eer: s.m.eer - s.result.eer, tar1: s.m.tar1 - s.result['tar_at_far_1e-2'] };
  const off = Object.entries(diffs).filter(([, d]) => Math.abs(d) > 1e-3);
  if (off.length > 0) throw new Error(`${s.name}: metrics disagree with facematch's VerificationMetrics: ${JSON.stringify(diffs)}`);
}
// The same pairs for everyone: a pair is missing only where a system found no face in one of its photos.
const union = new Set(systems.flatMap((s) => [...s.scores.keys()]));
for (const s of systems) {
  const missing = [...union].filter((k) => !s.scores.has(k)).length;
  if (missing > 0) notes.push(`${s.name}: ${missing} of ${union.size} pairs not scored (no face found in a photo)`);
}
// The same pipeline in process and over gRPC must give the same scores.
const inProcess = systems.find((s) => s.result.benchmark === 'embed');
for (const s of systems.filter((x) => x.result.system === 'facematch-grpc' && inProcess)) {
  let max = 0;
  for (const [k, p] of s.scores) if (inProcess.scores.has(k)) max = Math.max(max, Math.abs(p.score - inProcess.scores.get(k).score));
  notes.push(`${s.name} vs ${inProcess.name}: largest score difference ${max.toExponential(2)}`);
}

/** The row's name and how many threads compute a photo, from what each runner reported about itself. */
function describe(r) {
  if (r.benchmark === 'embed') {
    return { label: r.concurrency === 1 ? 'FaceMatch in-process' : `FaceMatch in-process, ${r.concurrency} photos in flight`,
      threads: `${r.concurrency} × ONNX Runtime intra-op ${r.intra_op_threads}` };
  }
  if (r.system === 'facematch-grpc') return { label: 'FaceMatch, Compare over gRPC', threads: '1 call at a time, ONNX Runtime intra-op 1' };
  return { label: `${r.system} ${r.version}`, threads: `${r.multithread ? 'WASM threads' : '1'} (tfjs-wasm ${r.tfjs}${r.simd ? ', SIMD' : ''})` };
}

for (const { name, result: r } of systems) {
  if (r.wasm_files) {
    const local = r.wasm_files.every((f) => f.includes(`${path.sep}node_modules${path.sep}`));
    notes.push(`${name}: decode (sharp → tensor) p50 ${f0(r.decode_ms_p50)} ms of the photo's ${f0(r.ms_per_photo_p50)} ms; WASM binary ${r.wasm_files.map((x) => path.basename(x)).join(', ')} read from ${local ? 'node_modules' : r.wasm_files.join(', ')}`);
    if (!local || r.wasm_files.length === 0) throw new Error(`${name}: the WASM binary did not come from node_modules: ${JSON.stringify(r.wasm_files)}`);
  }
  if (r.client_cpu_ms_per_photo !== undefined) notes.push(`${name}: CPU ms/photo is the server's; the Python client took ${f0(r.client_cpu_ms_per_photo, 2)} ms more per photo`);
}

const ref = systems[0].result;
const f = (x, d) => (x === undefined || x === null ? '—' : Number(x).toFixed(d));
const ratio = (x, y) => (x && y ? `${(x / y).toPrecision(3)}×` : '—');
const rows = [
  '| system | photos/s | in-process is × faster | ms/photo p50 | CPU ms/photo | in-process uses × less CPU | compute threads | AUC | d′ | EER | TAR @ FAR 1% | TAR @ FAR 0 | genuine / impostor pairs | failed photos |',
  '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const s of systems) {
  const r = s.result;
  const d = describe(r);
  const failed = Array.isArray(r.failed) ? r.failed.length : Object.values(r.failed_calls ?? {}).reduce((a, b) => a + b, 0);
  rows.push(`| ${d.label} | ${f(r.photos_per_sec, 2)} | ${ratio(ref.photos_per_sec, r.photos_per_sec)} | ${f(r.ms_per_photo_p50, 1)} | ${f(r.cpu_ms_per_photo, 1)} | ${ratio(r.cpu_ms_per_photo, ref.cpu_ms_per_photo)} | ${d.threads} | ${f(s.m.auc, 4)} | ${f(s.m.dprime, 2)} | ${f(s.m.eer, 3)} | ${f(s.m.tar1, 3)} | ${f(s.m.tar0, 3)} | ${s.genuine.length} / ${s.impostor.length} | ${failed}${r.failed_calls ? ' calls' : ''} |`);
}
console.log(rows.join('\n'));
for (const n of notes) console.log(`- ${n}`);
fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(systems.map((s) => ({ name: s.name, ...s.result, metrics: s.m })), null, 2) + '\n');
