// Reference side of the face-api.js -> ONNX parity tests: runs the nets with face-api itself
// (@vladmandic/face-api 1.7.15, its node-wasm bundle on @tensorflow/tfjs-backend-wasm) and writes
// what face-api computes as raw little-endian float32 files.
//
// usage: node reference.js request.json
// request: {
//   "modelDir": ".../face-api/package/model",   weights, loaded with face-api's own loadFromDisk
//   "outDir":   "...",                            where <net>-input.bin, <net>-<output>.bin, result.json go
//   "image":    ".../sample1.jpg",                a real photo: its largest face is appended to each batch
//   "backend":  "wasm" | "cpu",                   optional, default wasm
//   "nets": [ { "net": "recognition" | "ssd" | "landmarks", "input": "random.bin", "count": 2 } ]
// }
// Each net's batch is the `count` NHWC tensors from `input` (written by the test), then the real
// image prepared exactly as face-api prepares it (face crop padded to a square and resized to the
// net's size; for ssd the whole photo padded bottom/right and resized to 512). The batch actually
// used is written back as <net>-input.bin so both sides run on identical floats.
'use strict';

const fs = require('fs');
const path = require('path');
const jpeg = require('jpeg-js');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const { tf } = faceapi;

const SIZES = { recognition: 150, ssd: 512, landmarks: 112 };

function fail(message) {
  process.stderr.write(`reference.js: ${message}\n`);
  process.exit(2);
}

function readFloats(file, expected) {
  const buf = fs.readFileSync(file);
  if (buf.length !== expected * 4) fail(`${file}: ${buf.length} bytes, expected ${expected * 4}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

function writeFloats(file, data) {
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

async function writeTensor(file, tensor) {
  const data = await tensor.data();
  writeFloats(file, data);
  return tensor.shape;
}

function decodeJpeg(file) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  return tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
}

async function largestFace(image) {
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  const detections = await faceapi.detectAllFaces(image, options);
  if (detections.length === 0) fail('no face found in the reference image');
  detections.sort((a, b) => b.box.area - a.box.area);
  return detections[0];
}

// The photo as face-api feeds it to each net, as a [size, size, 3] float tensor.
async function realInput(net, image, face) {
  const size = SIZES[net];
  if (net === 'ssd') {
    return tf.squeeze((await faceapi.toNetInput(image)).toBatchTensor(size, false), [0]);
  }
  const [crop] = await faceapi.extractFaceTensors(image, [face]);
  const batch = (await faceapi.toNetInput(crop)).toBatchTensor(size, true);
  crop.dispose();
  return tf.squeeze(batch, [0]);
}

async function runNet(net, inputs) {
  if (net === 'recognition') {
    const descriptors = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(inputs);
    const rows = Array.isArray(descriptors) ? descriptors : [descriptors];
    return { descriptor: tf.tensor2d(rows.map((r) => Array.from(r)), [rows.length, rows[0].length]) };
  }
  const netInput = await faceapi.toNetInput(inputs);
  if (net === 'ssd') {
    // forwardInput returns what locateFaces runs NMS on: decoded boxes and sigmoid scores per batch item.
    const { boxes, scores } = faceapi.nets.ssdMobilenetv1.forwardInput(netInput);
    return { boxes: tf.stack(boxes), scores: tf.stack(scores) };
  }
  // runNet is the raw 136-vector before face-api maps it back to the un-padded crop.
  return { landmarks: faceapi.nets.faceLandmark68Net.runNet(netInput) };
}

async function main() {
  if (process.argv.length !== 3) fail('usage: node reference.js request.json');
  const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  await tf.setBackend(request.backend || 'wasm');
  await tf.ready();

  const { modelDir, outDir } = request;
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);

  const image = decodeJpeg(request.image);
  const face = await largestFace(image);
  const result = {
    backend: tf.getBackend(),
    versions: faceapi.version,
    face: { score: face.score, box: { x: face.box.x, y: face.box.y, width: face.box.width, height: face.box.height } },
    nets: {},
  };

  for (const { net, input, count } of request.nets) {
    const size = SIZES[net];
    if (!size) fail(`unknown net '${net}'`);
    const random = tf.tensor4d(readFloats(input, count * size * size * 3), [count, size, size, 3]);
    const items = [...tf.unstack(random), await realInput(net, image, face)];
    const batch = tf.stack(items);
    const inputShape = await writeTensor(path.join(outDir, `${net}-input.bin`), batch);

    const outputs = await runNet(net, items);
    const shapes = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      shapes[name] = await writeTensor(path.join(outDir, `${net}-${name}.bin`), tensor);
      tensor.dispose();
    }
    result.nets[net] = { inputShape, outputs: shapes };
    items.forEach((t) => t.dispose());
    batch.dispose();
    random.dispose();
  }
  fs.writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2));
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
