// grpc-js as the server our client is tested against: the Interop service with the behaviour described in
// interop.proto. Binds 127.0.0.1 on a free port and prints {"port": N}; runs until killed or stdin closes.
import grpc from '@grpc/grpc-js';
import { loadInterop, print, pattern } from './common.mjs';

const Interop = loadInterop().Interop;
const cancelled = new Map(); // tag -> { done, resolve }

function signal(tag) {
  if (!cancelled.has(tag)) {
    let resolve;
    const promise = new Promise(r => { resolve = r; });
    cancelled.set(tag, { promise, resolve, done: false });
  }
  return cancelled.get(tag);
}

function echoMetadata(call) {
  const headers = new grpc.Metadata();
  const trailers = new grpc.Metadata();
  for (const [key, values] of Object.entries(call.metadata.getMap())) {
    if (!key.startsWith('x-')) continue;
    for (const v of call.metadata.get(key)) {
      headers.add(key, v);
      trailers.add('x-trailer-' + key.slice(2), v);
    }
  }
  call.sendMetadata(headers);
  return trailers;
}

function respond(req, index) {
  return {
    text: req.text,
    index,
    payload: req.response_size > 0 ? pattern(req.response_size) : req.payload,
    request_encoding: 'unknown',
  };
}

function hang(call, tag) {
  return new Promise(resolve => {
    call.on('cancelled', () => {
      const s = signal(tag);
      s.done = true;
      s.resolve();
      resolve();
    });
  });
}

const server = new grpc.Server({
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
});
server.addService(Interop.service, {
  Unary(call, callback) {
    const trailers = echoMetadata(call);
    const req = call.request;
    if (req.throw_internal) return callback({ code: grpc.status.INTERNAL, details: 'internal' });
    if (req.fail_code) return callback({ code: req.fail_code, details: req.fail_message, metadata: trailers });
    if (req.hang) return void hang(call, req.text);
    callback(null, respond(req, 0), trailers);
  },
  ClientStream(call, callback) {
    const trailers = echoMetadata(call);
    let count = 0, bytes = 0;
    const texts = [];
    call.on('data', req => { count++; bytes += req.payload.length; texts.push(req.text); });
    call.on('end', () => callback(null, { message_count: count, total_bytes: bytes, text: texts.join(','), request_encoding: 'unknown' }, trailers));
  },
  async ServerStream(call) {
    const trailers = echoMetadata(call);
    const req = call.request;
    const n = Math.max(1, req.response_count);
    for (let i = 0; i < n; i++) {
      call.write(respond(req, i));
      if (i === 0 && req.hang) { await hang(call, req.text); return; }
    }
    if (req.fail_code) { call.emit('error', { code: req.fail_code, details: req.fail_message, metadata: trailers }); return; }
    call.end(trailers);
  },
  Duplex(call) {
    const trailers = echoMetadata(call);
    let index = 0;
    call.on('data', req => {
      if (req.fail_code) { call.emit('error', { code: req.fail_code, details: req.fail_message, metadata: trailers }); return; }
      call.write(respond(req, index++));
      if (req.hang) hang(call, req.text);
    });
    call.on('end', () => call.end(trailers));
  },
  async WasCancelled(call, callback) {
    const s = signal(call.request.text);
    await Promise.race([s.promise, new Promise(r => setTimeout(r, call.request.wait_ms))]);
    callback(null, { cancelled: s.done });
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err); process.exit(1); }
  print({ port });
});
// The test owns our lifetime: when its end of stdin closes, stop.
process.stdin.resume();
process.stdin.on('end', () => { server.forceShutdown(); process.exit(0); });
