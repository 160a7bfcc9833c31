// A tiny stand-in for the Hugging Face Hub on 127.0.0.1 (port 0): model folders that the test
// wrote, served in the Hub's URL layout `/{id}/resolve/{revision}/{file}`, and as a plain folder at
// `/folders/{name}/{file}` (a model folder given by URL). It answers as the Hub does where RM Lab
// reads the answer: 401 with X-Error-Code RepoNotFound for a repository that does not exist,
// 401/403 for a private or gated one, 404 EntryNotFound for a missing file; large files are
// redirected to a "CDN" path, as the Hub redirects LFS files. Every request is logged, so a test can
// see what was (not) fetched; `/_control/offline/on` makes it fail every request as an unreachable
// host does, until `/_control/offline/off`. hubModelFixtures() reads the tiny ONNX models that
// scripts/onnx/make_tiny_hub_models.py writes (tests/fixtures/hub-models/) as repositories.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  files: Map<string, Uint8Array>;
  /** 'private' answers 401, 'gated' 403 GatedRepo, to every file. */
  access?: 'public' | 'private' | 'gated';
  /** Revisions it answers for (default: main); others get 404 RevisionNotFound. */
  revisions?: string[];
}

export interface HubServer {
  /** e.g. http://127.0.0.1:41234 (the Hub endpoint). */
  url: string;
  repos: Map<string, HubRepo>;
  /** Paths requested, in order ('HEAD /path' for a HEAD request). */
  requests: string[];
  /** Answer every request with this delay (ms) per 64 KiB written, to watch progress. */
  slowdown: number;
  close(): Promise<void>;
}

/** The tiny Transformers.js models (rmlab-test/tiny-generator, -embedder, -judge) as Hub repositories. */
export const HUB_MODEL_FIXTURES = new URL('./fixtures/hub-models/', import.meta.url);

export function hubModelFixtures(): Record<string, HubRepo> {
  const repos: Record<string, HubRepo> = {};
  for (const owner of readdirSync(HUB_MODEL_FIXTURES)) {
    for (const name of readdirSync(new URL(`${owner}/`, HUB_MODEL_FIXTURES))) {
      const files = new Map<string, Uint8Array>();
      const walk = (dir: string) => {
        for (const entry of readdirSync(new URL(`${owner}/${name}/${dir}`, HUB_MODEL_FIXTURES), {
          withFileTypes: true,
        })) {
          const path = `${dir}${entry.name}`;
          if (entry.isDirectory()) walk(`${path}/`);
          else if (entry.name !== 'reference.json') {
            files.set(path, new Uint8Array(readFileSync(new URL(`${owner}/${name}/${path}`, HUB_MODEL_FIXTURES))));
          }
        }
      };
      walk('');
      repos[`${owner}/${name}`] = { files };
    }
  }
  return repos;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'X-Error-Code, Content-Length',
  // The app's page is cross-origin isolated (COEP require-corp): a CORS answer is allowed in.
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export async function startHubServer(repos: Record<string, HubRepo> = {}): Promise<HubServer> {
  const state = { repos: new Map(Object.entries(repos)), requests: [] as string[], slowdown: 0, offline: false };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    // A HEAD (a size asked before a download) is logged as such: it downloads nothing.
    state.requests.push(req.method === 'HEAD' ? `HEAD ${path}` : path);
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { ...CORS, 'Content-Type': 'application/json', 'X-Error-Code': code });
      res.end(JSON.stringify({ error: message }));
    };
    // The browser tests' switch for going offline (they cannot reach this object): every other
    // request then fails as with no network at all.
    const control = /^\/_control\/offline\/(on|off)$/.exec(path);
    if (control) {
      state.offline = control[1] === 'on';
      res.writeHead(204, CORS);
      return void res.end();
    }
    if (state.offline) return void res.destroy();
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': '*' });
      res.end();
      return;
    }
    let repoId: string | undefined;
    let file: string | undefined;
    let cdn = false;
    const hub = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const folder = /^\/folders\/([^/]+)\/(.+)$/.exec(path);
    // A CDN path is /cdn/{repo id}/{file}, where the file may sit in a folder (onnx/model.onnx).
    const cdnPath = path.startsWith('/cdn/') ? path.slice('/cdn/'.length) : undefined;
    const lfsRepo = cdnPath && [...state.repos.keys()].find((id) => cdnPath.startsWith(`${id}/`));
    const lfs = lfsRepo ? [path, lfsRepo, cdnPath.slice(lfsRepo.length + 1)] : null;
    let revision = 'main';
    if (hub) [repoId, revision, file] = [hub[1], hub[2]!, hub[3]];
    else if (folder) [repoId, file] = [`folders/${folder[1]}`, folder[2]];
    else if (lfs) [repoId, file, cdn] = [lfs[1], lfs[2], true];
    const repo = repoId === undefined ? undefined : state.repos.get(repoId);
    if (!repo || repoId === undefined || file === undefined) {
      fail(401, 'RepoNotFound', 'Repository not found');
      return;
    }
    if (repo.access === 'private') return fail(401, 'RepoNotFound', 'Invalid username or password.');
    if (repo.access === 'gated') return fail(403, 'GatedRepo', 'Access to model is restricted.');
    if (!(repo.revisions ?? ['main']).includes(revision)) return fail(404, 'RevisionNotFound', 'Invalid rev id');
    const bytes = repo.files.get(file);
    if (!bytes) return fail(404, 'EntryNotFound', 'Entry not found');
    if (hub && /\.(safetensors|onnx|onnx_data)$/.test(file) && !cdn) {
      res.writeHead(302, { ...CORS, Location: `/cdn/${repoId}/${file}` });
      res.end();
      return;
    }
    res.writeHead(200, { ...CORS, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.byteLength });
    if (req.method === 'HEAD') return void res.end();
    void (async () => {
      for (let at = 0; at < bytes.byteLength; at += 65536) {
        if (state.slowdown > 0) await new Promise((r) => setTimeout(r, state.slowdown));
        if (!res.write(bytes.subarray(at, at + 65536))) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get repos() {
      return state.repos;
    },
    get requests() {
      return state.requests;
    },
    get slowdown() {
      return state.slowdown;
    },
    set slowdown(ms: number) {
      state.slowdown = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
