// ESLint, run by `npm run check`: typescript-eslint's recommended rules for .ts, eslint-plugin-svelte's
// for components, the core/ boundary (no Svelte, idb, DOM-only or node: imports), and a function
// length limit so a function stays short enough to read at once.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-e2e*/',
      'dist-bench/',
      'test-results/',
      'bench/results/',
      'public/',
      '.scratch/',
      '.gpu/',
      '.gl/',
      '.whl/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // core/ runs in the browser, the worker, Node and tests alike.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['svelte', 'svelte/*', '*.svelte', '*.svelte.ts'], message: 'core/ imports no Svelte' },
            { group: ['idb', '**/store/*'], message: 'core/ imports no IndexedDB (store/ builds on core/)' },
            { group: ['node:*'], message: 'core/ imports no node: module (Node file access lives in src/cli/)' },
          ],
        },
      ],
    },
  },
  {
    // Components keep derived values in plain Maps and URLs built and read within one expression;
    // nothing mutates them as state, so Svelte's reactive versions would only add cost.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    rules: { 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    // The rational approximations' coefficients are printed as their sources give them.
    files: ['src/core/data/stats/math.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
  {
    // 80 lines (blank lines and comments not counted) is what a reader takes in at once; every
    // function in src/ meets it. Tests are left out: a test's setup reads top to bottom.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
);
