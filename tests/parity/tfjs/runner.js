'use strict';
// Reference runner for FaceMatch's TensorFlow.js -> ONNX parity tests.
//
// Runs the ORIGINAL graph models in @tensorflow/tfjs (pure JavaScript CPU backend) so the C# tests
// can compare the converted ONNX models against them on identical inputs. It is a child process
// of the test run: it reads one JSON request per line on stdin and answers one line on stdout,
// prefixed with REPLY_PREFIX (TensorFlow.js prints notices of its own). Tensors travel through
// files as raw little-endian float32.
//
//   {"cmd":"run","model":".../model.json","inputs":[{"name":"input","shape":[2,8,8,3],"file":"x.bin"}],
//    "outputs":["Identity"],"outDir":"..."}
//   -> {"ok":true,"outputs":[{"name":"Identity","shape":[2,10],"file":".../out0.bin"}],"ms":12}
//   {"cmd":"crop","image":"photo.jpg","box":[x0,y0,x1,y1],"size":[h,w],"file":"crop.bin"}
//   -> {"ok":true,"shape":[1,h,w,3]}   (RGB values 0..255, bilinear, tf.image.cropAndResize)

const REPLY_PREFIX = '@@reply ';
// Keep stdout for replies only.
console.log = (...args) => console.error(...args);
console.warn = (...args) => console.error(...args);

const fs = require('fs');
const path = require('path');
const readline = require('readline');
const tf = require('@tensorflow/tfjs');
const jpeg = require('jpeg-js');

const models = new Map();

function ioHandler(jsonPath) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const dir = path.dirname(jsonPath);
      const weightSpecs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
      }
      const data = Buffer.concat(buffers);
      const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format };
    },
  };
}

async function model(jsonPath) {
  if (!models.has(jsonPath)) models.set(jsonPath, await tf.loadGraphModel(ioHandler(jsonPath)));
  return models.get(jsonPath);
}

function readTensor(spec) {
  const bytes = fs.readFileSync(spec.file);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return tf.tensor(Float32Array.from(values), spec.shape, 'float32');
}

function writeTensor(file, tensor) {
  const values = tensor.dataSync();
  const floats = values instanceof Float32Array ? values : Float32Array.from(values);
  fs.writeFileSync(file, Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength));
}

async function run(req) {
  const m = await model(req.model);
  const inputs = req.inputs.map((spec) => ({ name: spec.name, tensor: readTensor(spec) }));
  const batch = inputs[0].tensor.shape[0];
  // Models whose placeholder fixes the batch at 1 are run one item at a time.
  const fixed = m.inputs.some((i) => i.shape && i.shape[0] === 1);
  const started = Date.now();
  let results;
  if (fixed && batch > 1) {
    const perItem = [];
    for (let b = 0; b < batch; b++) {
      const feed = {};
      for (const i of inputs) feed[i.name] = tf.slice(i.tensor, [b], [1]);
      perItem.push([].concat(m.execute(feed, req.outputs)));
      for (const t of Object.values(feed)) t.dispose();
    }
    results = req.outputs.map((_, o) => tf.concat(perItem.map((r) => r[o]), 0));
    perItem.flat().forEach((t) => t.dispose());
  } else {
    const feed = {};
    for (const i of inputs) feed[i.name] = i.tensor;
    results = [].concat(m.execute(feed, req.outputs));
  }
  const ms = Date.now() - started;
  fs.mkdirSync(req.outDir, { recursive: true });
  const outputs = results.map((t, o) => {
    const file = path.join(req.outDir, `out${o}.bin`);
    writeTensor(file, t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
    return { name: req.outputs[o], shape: t.shape, file };
  });
  results.forEach((t) => t.dispose());
  inputs.forEach((i) => i.tensor.dispose());
  return { outputs, ms };
}

function crop(req) {
  const decoded = jpeg.decode(fs.readFileSync(req.image), { useTArray: true, formatAsRGBA: false });
  const { width, height } = decoded;
  const [x0, y0, x1, y1] = req.box;
  const out = tf.tidy(() => {
    const image = tf.tensor4d(Float32Array.from(decoded.data), [1, height, width, 3]);
    return tf.image.cropAndResize(image, [[y0 / height, x0 / width, y1 / height, x1 / width]], [0], req.size, 'bilinear');
  });
  writeTensor(req.file, out);
  const shape = out.shape;
  out.dispose();
  return { shape, width, height };
}

async function handle(req) {
  switch (req.cmd) {
    case 'run': return run(req);
    case 'crop': return crop(req);
    case 'version': return { tfjs: tf.version.tfjs, backend: tf.getBackend() };
    default: throw new Error(`unknown command ${req.cmd}`);
  }
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let reply;
    try {
      reply = { ok: true, ...(await handle(JSON.parse(line))) };
    } catch (e) {
      reply = { ok: false, error: String((e && e.stack) || e) };
    }
    process.stdout.write(REPLY_PREFIX + JSON.stringify(reply) + '\n');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
