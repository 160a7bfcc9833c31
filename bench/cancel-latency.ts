// How long Cancel takes (issue 13: within 1 s in every import and download), against the loopback
// server of tests/stall-server.ts: the time from abort() to the reader's rejection, for a dataset
// link that stalls mid-body, one that drips a record every 100 ms (read as an import reads it),
// one that never answers, and a Hub file that drips. Also the stall timeout firing (0.5 s here;
// 30 s in the app) on a stalled body, measured from the last byte.
//   nice -n 10 npx tsx bench/cancel-latency.ts     -> bench/results/cancel-latency.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { startStallServer } from '../tests/stall-server.ts';
import { parseRecords } from '../src/core/data/parse.ts';
import { readRecords } from '../src/core/data/records.ts';
import { urlFolder } from '../src/core/model/hub.ts';
import { fetchLimited, readAll } from '../src/core/share/fetch-url.ts';

const server = await startStallServer(100);
const REPEATS = 10;

/** Milliseconds from abort() to `work` settling, `REPEATS` times: the median and the largest. */
async function cancelTime(start: (signal: AbortSignal) => Promise<unknown>, abortAfterMs = 300) {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const controller = new AbortController();
    const work = start(controller.signal).then(
      () => 'finished',
      (e: Error) => e.name,
    );
    await new Promise((r) => setTimeout(r, abortAfterMs));
    const t0 = performance.now();
    controller.abort();
    const outcome = await work;
    times.push(performance.now() - t0);
    if (outcome === 'finished') throw new Error('the download finished instead of being cancelled');
  }
  times.sort((a, b) => a - b);
  return { medianMs: +times[REPEATS >> 1]!.toFixed(2), maxMs: +times.at(-1)!.toFixed(2) };
}

const rows = [
  {
    what: 'dataset link, stalled mid-body',
    ...(await cancelTime(async (signal) =>
      readAll(await fetchLimited(`${server.url}/stall`, 'dataset', 1 << 30, { signal })),
    )),
  },
  {
    what: 'dataset link, dripping, read as an import reads it (records -> pairs)',
    ...(await cancelTime(async (signal) => {
      const download = await fetchLimited(`${server.url}/drip`, 'dataset', 1 << 30, { signal });
      for await (const _ of parseRecords(readRecords(download.stream)));
    }, 550)),
  },
  {
    what: 'model link, no answer (waiting for headers)',
    ...(await cancelTime((signal) => fetchLimited(`${server.url}/silent`, 'model', 1 << 30, { signal }))),
  },
  {
    what: 'Hub file, dripping',
    ...(await cancelTime((signal) => urlFolder(server.url).read('drip', { signal }))),
  },
];

// The stall timeout: from the last byte received to the failure, with a 500 ms timeout.
const stall: number[] = [];
for (let i = 0; i < 5; i++) {
  const download = await fetchLimited(`${server.url}/stall`, 'dataset', 1 << 30, { stallMs: 500 });
  const reader = download.stream.getReader();
  await reader.read(); // the first line: then nothing
  const t0 = performance.now();
  await reader.read().catch(() => undefined);
  stall.push(performance.now() - t0);
}
await server.close();
const result = {
  bench: 'cancel-latency',
  note: 'Node 20 fetch against a 127.0.0.1 server; times from abort() to the rejection. Stall: 500 ms timeout, time from the last byte to the failure.',
  loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
  repeats: REPEATS,
  rows,
  stallTimeout: { timeoutMs: 500, measuredMs: stall.map((t) => +t.toFixed(1)) },
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cancel-latency.json', JSON.stringify(result, null, 2) + '\n');
