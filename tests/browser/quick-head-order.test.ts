// The quick head's events and its result in Chromium, over a real worker and Comlink as the page gets
// them (src/ui/lab-client.svelte.ts trainQuickHead -> followQuickHead). The events come through the
// callback's own MessagePort and the result through the worker's, and Chromium does not keep the two in
// order: the last epoch's event lands after the result in a few calls in a hundred (it did on this
// 2-core machine even at a load of 3, with an IndexedDB write between them). Before followQuickHead
// ignored a settled call's events, such a call ended on 'fitting': the panel's "epoch 40 of 40" hang.
import * as Comlink from 'comlink';
import { expect, it } from 'vitest';
import { followQuickHead, type QuickHeadState } from '../../src/ui/train/quick-head-progress.ts';
import type { QuickHeadEvent } from '../../src/worker/quick-head-session.ts';
import type { OrderWorkerApi } from './quick-head-order.worker.ts';

const CALLS = 300;

it('ends every quick-head call on its result, however its events and result interleave', async () => {
  const worker = new Worker(new URL('./quick-head-order.worker.ts', import.meta.url), { type: 'module' });
  const api = Comlink.wrap<OrderWorkerApi>(worker);
  let lateCalls = 0;
  const endedOn: string[] = [];
  try {
    for (let call = 0; call < CALLS; call++) {
      let settled = false;
      let late = false;
      let state: QuickHeadState | undefined;
      await followQuickHead(
        (onEvent) =>
          api.train(
            40,
            Comlink.proxy((event: QuickHeadEvent) => {
              if (settled) late = true;
              onEvent(event);
            }),
          ),
        (s) => (state = s),
      );
      settled = true;
      await new Promise((resolve) => setTimeout(resolve, 20)); // time for a late event to land
      endedOn.push(state!.phase);
      if (late) lateCalls++;
    }
  } finally {
    worker.terminate();
  }
  console.log(`quick-head-order: ${lateCalls} of ${CALLS} calls had an event land after the result`);
  expect(endedOn.filter((phase) => phase !== 'done')).toEqual([]);
});
