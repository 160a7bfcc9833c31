// A regression file made on another screen (the labelling screen's A/B generation), handed to the
// Regression view to open directly: the view may not exist yet (it shows once a model is loaded), so
// the file waits here until it takes it.
let pending = $state.raw<File | undefined>();

export const regressionHandoff = {
  get file(): File | undefined {
    return pending;
  },
  offer(file: File): void {
    pending = file;
  },
  /** The waiting file, once: the view that runs it takes it away. */
  take(): File | undefined {
    const file = pending;
    pending = undefined;
    return file;
  },
};
