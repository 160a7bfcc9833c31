// The generation settings as the user left them, for the rest of the browser tab's session: kept in
// sessionStorage, so switching the playground's tabs or screens (which rebuilds the views) or reloading
// the page keeps them. What is read back is checked as any outside data (parseGenerationSettings); a bad
// or missing entry gives the defaults. Settings are not in share links (setup-link.ts carries training).
import { DEFAULT_GENERATION, parseGenerationSettings, type GenerationSettings } from '../../core/generate/settings.ts';

const KEY = 'rmlab.generation-settings';

function stored(): GenerationSettings {
  try {
    const text = globalThis.sessionStorage?.getItem(KEY);
    return text ? parseGenerationSettings(JSON.parse(text)) : { ...DEFAULT_GENERATION };
  } catch {
    return { ...DEFAULT_GENERATION };
  }
}

export class SessionGenerationSettings {
  /** The form binds to this; save() keeps it. */
  value = $state<GenerationSettings>(stored());

  /** Keeps the current values (a half-typed number included: it is checked when read back and when used). */
  save(): void {
    try {
      globalThis.sessionStorage?.setItem(KEY, JSON.stringify($state.snapshot(this.value)));
    } catch {
      // Storage full or refused (a private window): the settings last as long as the page.
    }
  }
}

/** One per page: every view that generates shares it. */
export const generationSettings = new SessionGenerationSettings();
