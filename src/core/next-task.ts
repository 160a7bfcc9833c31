// Waiting for a later task of the event loop, so that messages queued meanwhile (the page's pause, stop
// or Cancel) are handled first. Work that only awaits promises never gets there: ONNX Runtime's WASM
// build and tfjs's CPU backends resolve in microtasks, and a Cancel sent during a long scoring ran only
// after it had finished. A message to itself, not scheduler.yield(): yield's continuation runs ahead of
// queued tasks (a pause sent at step 5 landed at step 50). Not setTimeout: clamped to 4 ms.
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
