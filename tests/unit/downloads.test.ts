// Downloads that can always be stopped (issue 13), against a loopback server that stalls or drips:
// a stall (nothing arrives for the stall timeout) fails with a plain reason, before or after the
// headers; Cancel stops a download that is still receiving, and an import reading it, and the
// result says it was cancelled; the Hub reader never allocates what Content-Length claims before
// checking it against a cap. (How long Cancel takes: bench/cancel-latency.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStallServer, type StallServer } from '../stall-server.ts';
import { parseRecords } from '../../src/core/data/parse.ts';
import { readRecords } from '../../src/core/data/records.ts';
import { urlFolder, LoadCancelled, HUB_FILE_MAX_BYTES } from '../../src/core/model/hub.ts';
import { DownloadCancelled, fetchLimited, readAll } from '../../src/core/share/fetch-url.ts';

let server: StallServer;
beforeAll(async () => {
  server = await startStallServer(50);
});
afterAll(async () => {
  await server.close();
});

describe('a stalled download fails with a plain reason', () => {
  it('no answer at all', async () => {
    await expect(fetchLimited(`${server.url}/silent`, 'dataset', 1 << 20, { stallMs: 300 })).rejects.toThrow(
      /^the download of the dataset from http:\/\/127\.0\.0\.1:\d+\/silent stalled: nothing arrived for 0\.3 s/,
    );
  });

  it('an answer that stops arriving', async () => {
    const download = await fetchLimited(`${server.url}/stall`, 'dataset', 1 << 20, { stallMs: 300 });
    await expect(readAll(download)).rejects.toThrow(/\/stall stalled: nothing arrived for 0\.3 s/);
  });

  it('the Hub reader too, and it refuses a Content-Length past its cap before allocating it', async () => {
    const folder = urlFolder(server.url, { stallMs: 300 });
    await expect(folder.read('stall')).rejects.toThrow(/stalled: nothing arrived for 0\.3 s/);
    await expect(folder.read('huge-length')).rejects.toThrow(
      new RegExp(`huge-length is 65536 MB, more than the ${HUB_FILE_MAX_BYTES / 1024 / 1024} MB a model file may be`),
    );
  });
});

describe('Cancel stops a download that is still receiving', () => {
  it('a dripping dataset download, read as an import reads it', async () => {
    const controller = new AbortController();
    const download = await fetchLimited(`${server.url}/drip`, 'dataset', 1 << 30, {
      signal: controller.signal,
      stallMs: 5000,
    });
    let pairs = 0;
    const reading = (async () => {
      for await (const p of parseRecords(readRecords(download.stream))) {
        if (p.kind === 'pair' && ++pairs === 3) controller.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(DownloadCancelled);
    expect(pairs).toBe(3);
  });

  it('a download stalled between records: Cancel does not wait for the next record', async () => {
    const controller = new AbortController();
    const download = await fetchLimited(`${server.url}/stall`, 'dataset', 1 << 20, {
      signal: controller.signal,
      stallMs: 60_000,
    });
    const reading = readAll(download);
    setTimeout(() => controller.abort(), 100);
    await expect(reading).rejects.toBeInstanceOf(DownloadCancelled);
  });

  it('a request with no answer yet, and a Hub file', async () => {
    const controller = new AbortController();
    const pending = fetchLimited(`${server.url}/silent`, 'model', 1 << 20, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(DownloadCancelled);
    const hub = new AbortController();
    const file = urlFolder(server.url).read('drip', { signal: hub.signal });
    setTimeout(() => hub.abort(), 200);
    await expect(file).rejects.toBeInstanceOf(LoadCancelled);
  });
});
