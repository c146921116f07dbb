import { Redis } from 'ioredis';
const lua = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {-2, ''} end
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[1], 'NX') then return {0, epoch} end
return {1, epoch}
`;
for (const auto of [true, false, true, false]) {
  const r = new Redis('redis://127.0.0.1:6391', { enableAutoPipelining: auto, enableOfflineQueue: false, maxRetriesPerRequest: 0 }) as any;
  r.defineCommand('sc', { lua });
  await new Promise((res) => r.once('ready', res));
  await r.set('m:epoch', '0');
  let i = 0;
  const N = 40000;
  const worker = async (kind: string) => {
    while (i < N) {
      const n = i++;
      if (kind === 'get') await r.get('m:gate');
      else if (kind === 'sc') await r.sc(2, 'm:epoch', `m:k:${n}`, '60000', '5', '');
      else { await r.get('m:gate'); await r.sc(2, 'm:epoch', `m:k:${n}`, '60000', '5', ''); }
    }
  };
  for (const kind of ['get', 'sc', 'both']) {
    i = 0;
    const c0 = process.cpuUsage(); const t0 = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => worker(kind)));
    const c = process.cpuUsage(c0); const t = performance.now() - t0;
    console.log(`auto=${auto} ${kind}: ${((c.user + c.system) / N).toFixed(1)} µs CPU/op, ${(N / t * 1000).toFixed(0)} op/s`);
  }
  r.disconnect();
}
