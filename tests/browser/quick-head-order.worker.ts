// The worker half of quick-head-order.test.ts: a stand-in for QuickHeadSession.train, exposed with
// Comlink as the lab worker exposes it. It sends every epoch's event through the page's callback, stores a
// record in IndexedDB (as saveModelWithCard does after the last epoch), then returns the card.
import * as Comlink from 'comlink';
import type { QuickHeadEpoch } from '../../src/core/quick-head/fit.ts';
import type { ModelCard } from '../../src/store/db.ts';
import type { QuickHeadEvent } from '../../src/worker/quick-head-session.ts';

let db: Promise<IDBDatabase> | undefined;

function openDB(): Promise<IDBDatabase> {
  return (db ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('quick-head-order', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('models');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'));
  }));
}

async function store(key: string): Promise<void> {
  const tx = (await openDB()).transaction('models', 'readwrite');
  tx.objectStore('models').put(new Float32Array(4096), key);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('the transaction failed'));
  });
}

const api = {
  async train(epochs: number, onEvent: (event: QuickHeadEvent) => void): Promise<ModelCard> {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const point: QuickHeadEpoch = { epoch, epochs, trainLoss: 0.5, heldOutLoss: 0.6, heldOutAccuracy: 0.7 };
      onEvent({ kind: 'epoch', epoch: point });
    }
    await store('q1');
    return { id: 'q1', name: 'quick head', origin: 'quick-head', createdAt: 0 } as ModelCard;
  },
};

export type OrderWorkerApi = typeof api;

Comlink.expose(api);
