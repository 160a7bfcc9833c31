// How the Models list and the playground's picker name where a model came from (src/ui/models/describe.ts):
// a quick head is "quick head (needs <its embedding model>)", never "imported", even when it came in as a file.
import { describe, expect, it } from 'vitest';
import type { ModelCard } from '../../src/store/db.ts';
import { describeOrigin, originNote } from '../../src/ui/models/describe.ts';

const builtin = { encoder: 'builtin-transformer', tokenizer: 'builtin' } as unknown as ModelCard['spec'];
const quick = (revision: string): ModelCard['spec'] => ({
  encoder: 'frozen-hub',
  tokenizer: 'hub',
  embedding: { model: 'Xenova/all-MiniLM-L6-v2', revision, pooling: 'mean', normalize: true },
  head: { head: 'linear', inputSize: 384, hiddenUnits: 64, members: 1 },
});
const card = (origin: ModelCard['origin'], spec: ModelCard['spec']): ModelCard => ({
  id: 'x',
  name: 'x',
  origin,
  spec,
  createdAt: 0,
});

describe('where a model came from', () => {
  it('names a quick head by the embedding model it needs', () => {
    expect(describeOrigin(card('quick-head', quick('main')))).toBe('quick head (needs Xenova/all-MiniLM-L6-v2)');
    expect(describeOrigin(card('import', quick('v2')))).toBe('quick head, imported (needs Xenova/all-MiniLM-L6-v2@v2)');
    expect(originNote(card('quick-head', quick('main')))).toBe('');
    expect(originNote(card('import', quick('main')))).toBe('');
  });

  it('says trained here or imported for the others', () => {
    expect(describeOrigin(card('run', builtin))).toBe('trained here');
    expect(describeOrigin(card('import', builtin))).toBe('imported');
    expect(originNote(card('import', builtin))).toBe(' (imported)');
  });
});
