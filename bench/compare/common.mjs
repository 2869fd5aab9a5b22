// What the face-api and Human runners share: the photo set and its pairs (the same ones `facematch eval DIR` and
// `facematch bench embed DIR` use), decoding, the timed loop, and the guarantee that nothing is fetched from the
// network: every model and WASM binary is read from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

export const require = createRequire(import.meta.url);
const sharp = require('sharp');

// One decode at a time on one libvips thread, and no operation cache (a cached result would make later passes free).
sharp.concurrency(1);
sharp.cache(false);

export function options() {
  const { values } = parseArgs({
    options: {
      folder: { type: 'string' },
      passes: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '3' },
      out: { type: 'string' },
      'scores-out': { type: 'string' },
    },
  });
  if (!values.folder || !values.out || !values['scores-out']) throw new Error('usage: --folder DIR --out RESULT.json --scores-out SCORES.csv [--passes N] [--warmup N]');
  return { folder: path.resolve(values.folder), passes: Number(values.passes), warmup: Number(values.warmup), out: values.out, scoresOut: values['scores-out'] };
}

const IMAGE = /\.(jpe?g|png)$/i;
const ordinal = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Every photo of the labelled folder as {rel, person}: one sub-folder per person, `_` folders skipped, ordinal order. */
export function photos(root) {
  const people = fs.readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
    .map((d) => d.name).sort(ordinal)
    .map((person) => fs.readdirSync(path.join(root, person)).filter((f) => IMAGE.test(f)).sort(ordinal).map((f) => ({ rel: `${person}/${f}`, person })))
    .filter((files) => files.length > 0);
  if (people.length < 2) throw new Error(`${root}: need at least two person folders with images`);
  return people.flat();
}

/**
 * Replaces fetch with one that serves only `http://models.invalid/NAME` from `modelsDir` and refuses everything else,
 * and records every .wasm file read from disk, so a run proves where its binaries came from.
 */
export function offline(modelsDir) {
  const wasmFiles = new Set();
  const readFileSync = fs.readFileSync;
  for (const name of ['readFile', 'readFileSync']) {
    const original = fs[name];
    fs[name] = function (file, ...rest) {
      const p = file instanceof URL ? file.pathname : String(file);
      if (p.endsWith('.wasm')) wasmFiles.add(path.resolve(p));
      return original.call(this, file, ...rest);
    };
  }
  const fetched = [];
  globalThis.fetch = async (url) => {
    const u = String(url instanceof Request ? url.url : url);
    if (!modelsDir || !u.startsWith('http://models.invalid/')) throw new Error(`network access refused in the benchmark: ${u}`);
    const file = path.join(modelsDir, path.basename(new URL(u).pathname));
    fetched.push(file);
    return new Response(readFileSync(file), { status: 200 });
  };
  return { wasmFiles, modelFiles: fetched };
}

/** Decodes a JPEG or PNG to RGB (EXIF orientation applied, alpha dropped) as an int32 [h, w, 3] tensor of tf. */
export async function decode(tf, bytes) {
  const { data, info } = await sharp(bytes).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return tf.tensor3d(data, [info.height, info.width, 3], 'int32');
}

/**
 * Warms up on the first photos, then times `passes` passes over every photo, one after another: each photo is
 * decode (`decode`) then `embed(tensor)` → descriptor or null. Scores every pair with `score(a, b)` (higher = more
 * alike) and writes the result JSON and the scores CSV (path_a,path_b,same,score).
 */
export async function run({ system, tf, embed, score, describe }) {
  const o = options();
  const list = photos(o.folder);
  const encoded = list.map((p) => fs.readFileSync(path.join(o.folder, p.rel)));
  const once = async (i) => {
    const t0 = performance.now();
    const tensor = await decode(tf, encoded[i]);
    const t1 = performance.now();
    try {
      const descriptor = await embed(tensor);
      return { descriptor, decodeMs: t1 - t0, totalMs: performance.now() - t0 };
    } finally {
      tf.dispose(tensor);
    }
  };
  for (let i = 0; i < Math.min(o.warmup, list.length); i++) await once(i);

  const descriptors = new Array(list.length).fill(null);
  const totalMs = [];
  const decodeMs = [];
  const tensorsBefore = tf.memory().numTensors;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (let pass = 0; pass < o.passes; pass++) {
    for (let i = 0; i < list.length; i++) {
      const r = await once(i);
      descriptors[i] = r.descriptor;
      totalMs.push(r.totalMs);
      decodeMs.push(r.decodeMs);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const tensorsLeaked = tf.memory().numTensors - tensorsBefore;

  const rows = ['path_a,path_b,same,score'];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      if (!descriptors[i] || !descriptors[j]) continue;
      rows.push(`${list[i].rel},${list[j].rel},${list[i].person === list[j].person ? 1 : 0},${score(descriptors[i], descriptors[j])}`);
    }
  }
  fs.writeFileSync(o.scoresOut, rows.join('\n') + '\n');
  const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
  const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  fs.writeFileSync(o.out, JSON.stringify({
    system,
    photos: list.length,
    passes: o.passes,
    timed_photos: totalMs.length,
    seconds: round(seconds, 4),
    photos_per_sec: round(totalMs.length / seconds),
    ms_per_photo_p50: round(pct(totalMs, 0.5)),
    ms_per_photo_p90: round(pct(totalMs, 0.9)),
    cpu_seconds: round(cpuSeconds, 4),
    cpu_ms_per_photo: round(1000 * cpuSeconds / totalMs.length),
    decode_ms_p50: round(pct(decodeMs, 0.5)),
    failed: list.filter((_, i) => !descriptors[i]).map((p) => p.rel),
    tensors_leaked: tensorsLeaked,
    node: process.version,
    ...describe(),
  }, null, 2) + '\n');
}
