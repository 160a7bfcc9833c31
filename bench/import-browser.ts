// Import throughput in the built app, in Chromium: a generated file of N pairs (100,000 by
// default) is picked in the page; the bench reports pairs per second for parse + store, and the
// longest task the main thread ran meanwhile (the Long Tasks API), which says whether the page
// stayed responsive (anything over 50 ms is a frame the user felt).
//   npx tsx bench/import-browser.ts [pairs]
// Results: bench/results/import-browser.json. Asserts nothing.
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { launchChromium } from './worker-page.ts';

const N = Number(process.argv[2] ?? 100_000);
const file = join(tmpdir(), `rm-lab-bench-${N}.jsonl`);
const words =
  'the a model answer question helpful careful wrong right because therefore however summary poem code'.split(' ');
let seed = 1;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
const lines: string[] = [];
for (let i = 0; i < N; i++) {
  lines.push(
    JSON.stringify({
      prompt: `${i}: ${sentence(20)}`,
      response_a: sentence(40 + (i % 60)),
      response_b: sentence(30 + (i % 80)),
      winner: ['response_a', 'response_b', 'tie', 'both_bad'][i % 4],
      model_a_version: `model-${i % 5}`,
      model_b_version: `model-${(i + 1) % 5}`,
      task_type: `task-${i % 12}`,
      annotator_id: `ann-${i % 7}`,
    }),
  );
}
writeFileSync(file, lines.join('\n') + '\n');
const bytes = statSync(file).size;

await build({ logLevel: 'warn', build: { outDir: 'dist-bench', emptyOutDir: true } });
const server = await preview({ logLevel: 'warn', build: { outDir: 'dist-bench' }, preview: { port: 0, open: false } });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(server.resolvedUrls!.local[0]!);
  await page.getByRole('heading', { name: '1 · Preference data' }).waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { longest: number; longTasks: number };
    w.longest = 0;
    w.longTasks = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        w.longest = Math.max(w.longest, e.duration);
        w.longTasks++;
      }
    }).observe({ type: 'longtask' });
  });
  // Calibration: a deliberate 80 ms task must be seen, or the zero below would mean nothing.
  await page.evaluate(() =>
    setTimeout(() => {
      const end = performance.now() + 80;
      while (performance.now() < end);
    }, 0),
  );
  await page.waitForTimeout(500);
  const seen = await page.evaluate(() => (window as unknown as { longTasks: number }).longTasks);
  if (seen < 1) throw new Error('the Long Tasks API saw no long task: the measurement does not work here');
  await page.evaluate(() => Object.assign(window, { longest: 0, longTasks: 0 }));

  // Picking the file shows its preview (the first 256 KB); the import starts at the click.
  await page.getByLabel('Import a file of your own').setInputFiles(file);
  const importButton = page.getByRole('region', { name: 'Import preview' }).getByRole('button', { name: /^Import / });
  await importButton.waitFor();
  const t0 = performance.now();
  await importButton.click();
  await page.getByText(`stored ${N} pairs`).waitFor({ timeout: 600_000 });
  const seconds = (performance.now() - t0) / 1000;
  const { longest, longTasks } = await page.evaluate(() => {
    const w = window as unknown as { longest: number; longTasks: number };
    return { longest: w.longest, longTasks: w.longTasks };
  });
  // Looking at the data at this size: the first query of the browser (a full scan in the
  // worker), a full-text search, and the statistics (which tokenize every response).
  const timed = async (action: () => Promise<unknown>, done: () => Promise<unknown>) => {
    const start = performance.now();
    await action();
    await done();
    return (performance.now() - start) / 1000;
  };
  await page.evaluate(() => Object.assign(window, { longest: 0, longTasks: 0 }));
  const browseSeconds = await timed(
    () => page.getByText(/^Browse the/).click(),
    () => page.getByText(`${N} of ${N} pairs`).waitFor({ timeout: 300_000 }),
  );
  const searchSeconds = await timed(
    () => page.getByLabel('Search pairs').fill(`${N - 1}:`),
    () => page.getByText(`1 of ${N} pairs`).waitFor({ timeout: 300_000 }),
  );
  await page.getByRole('list', { name: 'Pairs' }).evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  const statsSeconds = await timed(
    () => page.getByText(/^Statistics of/).click(),
    () => page.getByText(/^Winners \(/).waitFor({ timeout: 600_000 }),
  );
  const browsing = await page.evaluate(() => {
    const w = window as unknown as { longest: number; longTasks: number };
    return { longest: w.longest, longTasks: w.longTasks };
  });

  const result = {
    date: new Date().toISOString(),
    pairs: N,
    megabytes: bytes / 1e6,
    seconds,
    pairsPerSecond: N / seconds,
    megabytesPerSecond: bytes / 1e6 / seconds,
    // The Long Tasks API reports only tasks over 50 ms: 0 and 0 mean none was that long.
    mainThreadTasksOver50ms: longTasks,
    longestOfThoseMs: longest,
    browseFirstQuerySeconds: browseSeconds,
    searchSeconds,
    statisticsSeconds: statsSeconds,
    whileBrowsingTasksOver50ms: browsing.longTasks,
    whileBrowsingLongestMs: browsing.longest,
  };
  console.log(result);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/import-browser.json', JSON.stringify(result, null, 2) + '\n');
} finally {
  await browser.close();
  await server.close();
}
