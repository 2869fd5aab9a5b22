// grpc-js as a health-checking client: Check once, or Watch and print every status as a JSON line.
//   node health.mjs --target HOST:PORT --mode check|watch --service NAME [--count N]
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import { loadGrpcProto, print } from './common.mjs';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    mode: { type: 'string', default: 'check' },
    service: { type: 'string', default: '' },
    count: { type: 'string', default: '1' },
  },
});
const Health = loadGrpcProto('grpc/health/v1/health.proto').grpc.health.v1.Health;
const client = new Health(opts.target, grpc.credentials.createInsecure());
const watchdog = setTimeout(() => { console.error('timed out'); process.exit(3); }, 60000);

if (opts.mode === 'check') {
  client.Check({ service: opts.service }, { deadline: Date.now() + 20000 }, (err, res) => {
    print({ code: err ? err.code : 0, details: err ? err.details : '', status: res ? res.status : null });
    clearTimeout(watchdog);
    client.close();
  });
} else {
  const call = client.Watch({ service: opts.service });
  let seen = 0;
  call.on('data', res => {
    print({ status: res.status });
    if (++seen >= Number(opts.count)) {
      call.cancel();
      clearTimeout(watchdog);
      client.close();
    }
  });
  call.on('error', err => { if (err.code !== grpc.status.CANCELLED) print({ code: err.code, details: err.details }); });
}
