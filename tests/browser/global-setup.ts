// Serves the tiny Transformers.js models (tests/fixtures/hub-models) as a Hub on 127.0.0.1 for the
// browser tests, which run in Chromium and cannot start a server themselves: `inject('hubUrl')`.
// A second endpoint that never answers (tests/stall-server.ts, `/silent`) is `inject('silentHubUrl')`.
import type { TestProject } from 'vitest/node';
import { hubModelFixtures, startHubServer } from '../hub-server.ts';
import { startStallServer } from '../stall-server.ts';

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const hub = await startHubServer(hubModelFixtures());
  const stall = await startStallServer();
  project.provide('hubUrl', hub.url);
  project.provide('silentHubUrl', `${stall.url}/silent`);
  return async () => {
    await hub.close();
    await stall.close();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    hubUrl: string;
    silentHubUrl: string;
  }
}
