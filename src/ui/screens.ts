// The app's screens in the order a newcomer walks them: bring data, train, read the results, keep
// the model, use it. The link's #screen names the one on show (core/share/setup-link.ts).
import type { Screen } from '../core/share/setup-link.ts';

export interface NavEntry {
  /** The screen this entry opens (the Use entry also stands for 'evaluate', its regression view). */
  screen: Screen;
  label: string;
  /** What the screen is for, said by the navigation to screen readers and on hover. */
  purpose: string;
}

export const NAV: readonly NavEntry[] = [
  { screen: 'data', label: 'Data', purpose: 'Load preference pairs and look at them' },
  // The labelling screen (src/ui/label/, issue 15) goes here: { screen: 'label', label: 'Label', ... }.
  { screen: 'train', label: 'Train', purpose: 'Train a reward model and watch it learn' },
  { screen: 'results', label: 'Results', purpose: 'Held-out results of every run' },
  { screen: 'models', label: 'Models', purpose: 'Trained and imported models: export, import' },
  { screen: 'use', label: 'Use', purpose: 'Score, compare and rank responses with a model' },
];

/** The navigation entry a screen belongs to. */
export function navScreen(screen: Screen): Screen {
  return screen === 'evaluate' ? 'use' : screen;
}
