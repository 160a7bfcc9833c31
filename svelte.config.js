// Svelte's compiler options: the defaults. The file is here so vite-plugin-svelte does not say, at
// every start and in every test log, that it found none.
export default {};
