// The page following a quick-head call (src/ui/train/quick-head-progress.ts followQuickHead): the
// worker's events travel over the callback's own MessageChannel (as Comlink.proxy sends them) and the
// result over another, so the last epoch's event can arrive after the result. Here a real MessageChannel
// delivers the events and the result comes first, as it did under load in the browser, where the late
// event put the panel back to "fitting the head: epoch 40 of 40" and it never showed the result.
import { describe, expect, it } from 'vitest';
import type { QuickHeadEpoch } from '../../src/core/quick-head/fit.ts';
import type { ModelCard } from '../../src/store/db.ts';
import {
  applyQuickHeadEvent,
  followQuickHead,
  quickHeadProgress,
  type QuickHeadState,
} from '../../src/ui/train/quick-head-progress.ts';
import type { QuickHeadEvent } from '../../src/worker/quick-head-session.ts';

const card = { id: 'q1', name: 'Labels · linear', origin: 'quick-head', createdAt: 0 } as ModelCard;
const epoch = (n: number): QuickHeadEpoch => ({
  epoch: n,
  epochs: 40,
  trainLoss: 0.5,
  heldOutLoss: 0.6,
  heldOutAccuracy: 0.7,
});

/** A worker stand-in: its events go through a MessageChannel; its result settles before the last one lands. */
function lateLastEvent(outcome: 'resolve' | 'reject') {
  return (onEvent: (event: QuickHeadEvent) => void): Promise<ModelCard> => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (message: MessageEvent<QuickHeadEvent>) => onEvent(message.data);
    channel.port2.postMessage({ kind: 'epoch', epoch: epoch(40) } satisfies QuickHeadEvent);
    return outcome === 'resolve'
      ? Promise.resolve(card)
      : Promise.reject(new Error('the quick head could not be stored: quota exceeded'));
  };
}

/** All the states the page was given, once the late event has had time to land. */
async function follow(call: ReturnType<typeof lateLastEvent>) {
  const states: QuickHeadState[] = [];
  const result = await followQuickHead(call, (s) => states.push(s));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { result, states };
}

describe('following a quick-head call', () => {
  it('keeps the result when the last epoch event arrives after it', async () => {
    const { result, states } = await follow(lateLastEvent('resolve'));
    expect(result).toBe(card);
    const last = states.at(-1)!;
    expect(last.phase).toBe('done');
    expect(last.card).toBe(card);
    expect(quickHeadProgress(last).label).toBe('done');
  });

  it('keeps the error on the panel when the call fails after the last epoch', async () => {
    const { result, states } = await follow(lateLastEvent('reject'));
    expect(result).toBeUndefined();
    const last = states.at(-1)!;
    expect(last.phase).toBe('failed');
    expect(last.error).toBe('the quick head could not be stored: quota exceeded');
  });

  it('moves through the phases on events that arrive before the result', async () => {
    const states: QuickHeadState[] = [];
    await followQuickHead(
      async (onEvent) => {
        onEvent({ kind: 'embedding', progress: { done: 2, total: 4, fromCache: 0 } });
        onEvent({ kind: 'epoch', epoch: epoch(1) });
        return card;
      },
      (s) => states.push(s),
    );
    expect(states.map((s) => s.phase)).toEqual(['loading', 'embedding', 'fitting', 'done']);
    expect(states.at(-1)!.epochs).toEqual([epoch(1)]);
  });

  it('treats done and failed as final in the state itself', () => {
    const done: QuickHeadState = { phase: 'done', epochs: [], card };
    expect(applyQuickHeadEvent(done, { kind: 'epoch', epoch: epoch(40) })).toBe(done);
    const failed: QuickHeadState = { phase: 'failed', epochs: [], error: 'x' };
    expect(applyQuickHeadEvent(failed, { kind: 'epoch', epoch: epoch(40) })).toBe(failed);
  });
});
