// The dataset bundled with the app, so that a first visit can train something before the user
// has a file of their own. scripts/build-demo-dataset.ts writes it; paths are relative to the
// site's base, which is './' so that the built site works under any sub-path.

export const DEMO_DATASET = {
  name: 'PandaLM human-labelled test set (demo)',
  path: 'demo/pandalm-testset.jsonl',
  format: 'rmlab',
  pairs: 999,
  attribution:
    'PandaLM test set by the PandaLM authors (WeOpenML/PandaLM, commit 3871806e), ' +
    'Apache License 2.0; converted to RM Lab records.',
  sourceUrl: 'https://github.com/WeOpenML/PandaLM/blob/3871806e72b4832f815ecafd24d3503c73403f48/data/testset-v1.json',
  license: 'Apache-2.0',
  licensePath: 'demo/PandaLM-LICENSE.txt',
  readmePath: 'demo/README.md',
} as const;
