// @vladmandic/human on TensorFlow.js's WASM backend in Node, with its own bundled models and its default face
// pipeline: BlazeFace → face mesh (the box refined from the mesh: its alignment; `rotation` stays at its default,
// off) → faceres description (1024-d embedding). Every other model (iris, emotion, body, hand, gestures,
// anti-spoofing) is off, and so is the frame cache (a video feature that would reuse results across calls). Pairs
// are scored by Human's own distance (match.distance), negated so that higher means more alike.
//   node human.mjs --folder DIR --out RESULT.json --scores-out SCORES.csv [--passes 3] [--warmup 3]
import path from 'node:path';
import { require, offline, run } from './common.mjs';

// The package's "exports" name no node-wasm entry a resolver accepts, so the bundle is loaded by its path.
const humanDir = path.dirname(path.dirname(require.resolve('@vladmandic/human')));
// Human loads its models with fetch: this serves them from node_modules and refuses anything else.
const seen = offline(path.join(humanDir, 'models'));
const { Human } = require(path.join(humanDir, 'dist', 'human.node-wasm.js'));
const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

const off = { enabled: false };
const human = new Human({
  backend: 'wasm',
  wasmPath: wasmDir + path.sep,
  wasmPlatformFetch: false,
  modelBasePath: 'http://models.invalid/',
  cacheModels: false,
  warmup: 'none',
  cacheSensitivity: 0,
  skipAllowed: false,
  debug: false,
  filter: off,
  gesture: off,
  body: off,
  hand: off,
  object: off,
  segmentation: off,
  face: {
    enabled: true,
    detector: { rotation: false, maxDetected: 1, skipFrames: 0, skipTime: 0 },
    mesh: { enabled: true },
    attention: off,
    iris: off,
    emotion: off,
    antispoof: off,
    liveness: off,
    description: { enabled: true, skipFrames: 0, skipTime: 0 },
  },
});
await human.init();
await human.load();
const tf = human.tf;
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');

await run({
  system: 'human',
  tf,
  embed: async (tensor) => {
    const result = await human.detect(tensor);
    const embedding = result.face[0]?.embedding;
    return embedding && embedding.length > 0 ? embedding : null;
  },
  score: (a, b) => -human.match.distance(a, b),
  describe: () => ({
    version: human.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    simd,
    multithread,
    wasm_files: [...seen.wasmFiles],
    models: human.models.loaded(),
    model_files: seen.modelFiles.map((f) => path.relative(humanDir, f)),
    pipeline: 'blazeface → facemesh → faceres 1024-d; score −match.distance',
  }),
});
