// A loopback server (127.0.0.1, port 0) that misbehaves the ways a download can (issue 13):
//   /silent          never answers (no headers); so does every path under it (a Hub endpoint)
//   /stall           answers 200, sends a first line, then nothing, forever
//   /drip            answers 200 and sends one line of a valid JSONL record every `dripMs`, forever
//   /huge-length     announces a Content-Length of 64 GB, sends a few bytes, then nothing
//   /flaky/<name>    stalls like /stall the first time, then serves `files[name]` whole (a retry that works)
// Open connections are destroyed on close, so a test that stops reading leaves nothing behind.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export interface StallServer {
  url: string;
  /** Requests seen, by path. */
  requests: string[];
  close(): Promise<void>;
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
const line = (i: number) =>
  `${JSON.stringify({ prompt: `p${i}`, response_a: 'a', response_b: 'b', winner: 'response_a' })}\n`;

export async function startStallServer(dripMs = 100, files: Record<string, Uint8Array> = {}): Promise<StallServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  const server = createServer((req, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    if (path === '/silent' || path.startsWith('/silent/')) return; // no answer at all (a Hub endpoint under it too)
    if (path.startsWith('/flaky/')) {
      const body = files[path.slice('/flaky/'.length)];
      if (!body) return void res.writeHead(404, CORS).end();
      res.writeHead(200, { 'Content-Length': String(body.byteLength), ...CORS });
      // The first time: the headers and a first byte, then nothing (the connection hangs).
      if (requests.filter((p) => p === path).length === 1) return void res.write(body.subarray(0, 1));
      return void res.end(body);
    }
    if (path === '/stall') {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', ...CORS });
      res.write(line(0));
      return;
    }
    if (path === '/huge-length') {
      res.writeHead(200, { 'Content-Length': String(64 * 1024 ** 3), ...CORS });
      res.write('abc');
      return;
    }
    if (path === '/drip') {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', ...CORS });
      let i = 0;
      const timer = setInterval(() => res.write(line(i++)), dripMs);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
      return;
    }
    res.writeHead(404, CORS).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
