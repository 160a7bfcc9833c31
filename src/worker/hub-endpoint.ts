// The Hub's address that Transformers.js loads and pretrained encoders download from (the page's
// setting; tests use 127.0.0.1). A module of its own so the labelling worker's quick-head loader can
// read it without importing the training run (train-run.ts re-exports it for its callers).
let hubEndpoint: string | undefined;

export function setHubEndpoint(endpoint: string | undefined): void {
  hubEndpoint = endpoint?.trim() || undefined;
}

/** The page's Hub endpoint setting, for the Transformers.js loads (quick heads, judges). */
export function currentHubEndpoint(): string | undefined {
  return hubEndpoint;
}
