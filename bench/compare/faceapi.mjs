// @vladmandic/face-api on TensorFlow.js's WASM backend in Node: SSD MobileNet v1 (face-api's default detector) →
// 68 landmarks → aligned crop → the ResNet-34 descriptor (the model FaceMatch's default embedder is converted from).
// Pairs are scored by face-api's own Euclidean distance, negated so that higher means more alike.
//   node faceapi.mjs --folder DIR --out RESULT.json --scores-out SCORES.csv [--passes 3] [--warmup 3]
import path from 'node:path';
import { require, offline, run } from './common.mjs';

const seen = offline(null); // face-api reads its weights with fs (loadFromDisk): fetch is never needed
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
wasm.setWasmPaths(wasmDir + path.sep);
await tf.setBackend('wasm');
await tf.ready();
const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
const detector = new faceapi.SsdMobilenetv1Options(); // face-api's defaults: minConfidence 0.5
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');

await run({
  system: 'face-api',
  tf,
  embed: async (tensor) => (await faceapi.detectSingleFace(tensor, detector).withFaceLandmarks().withFaceDescriptor())?.descriptor ?? null,
  score: (a, b) => -faceapi.euclideanDistance(a, b),
  describe: () => ({
    version: faceapi.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    simd,
    multithread,
    wasm_files: [...seen.wasmFiles],
    pipeline: 'ssd-mobilenetv1 → 68 landmarks → aligned crop → ResNet-34 128-d; score −euclidean distance',
  }),
});
