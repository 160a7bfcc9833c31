// What generated responses become: the file that both the regression report and a labelling
// project read (score-rows.ts / collect/candidates.ts), one line a prompt:
//   {"prompt": "...", "task_type"?: "...", "responses": {"<version>": "...", ...}}
// where a version is a generation setup (a model, or the same model with other settings). The
// chat input a generator gets from a prompt is defined here too.
import type { Message, Text } from '../data/pair.ts';

/** One generated response: which prompt, which setup, its text and why it ended. */
export interface GeneratedResponse {
  prompt: number;
  /** The setup's name (settingsLabel), the "version" of the regression file. */
  version: string;
  text: string;
  /** Tokens generated. */
  tokens: number;
  /** 'eos': the model ended its turn; 'length': max new tokens reached; 'cancelled': stopped by the user. */
  finish: 'eos' | 'length' | 'cancelled';
}

/** The messages a chat model gets for a prompt: a conversation as it is, a plain prompt as one user turn. */
export function chatMessages(prompt: Text): Message[] {
  return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt.map((m) => ({ ...m }));
}

/** Prompts from a text box or a plain file: one a line, blank lines skipped, surrounding spaces trimmed. */
export function promptList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * The regression / labelling file (JSON Lines) from the responses of two or more setups to the
 * same prompts. A prompt keeps each setup's first finished response; a cancelled one (cut short)
 * is left out, so a stopped run never passes half an answer off as a whole one. Two setups with
 * the same name are refused: their answers would overwrite each other.
 */
export function answersFile(prompts: string[], responses: GeneratedResponse[], taskType?: string): string {
  const lines: string[] = [];
  prompts.forEach((prompt, i) => {
    const byVersion: Record<string, string> = {};
    for (const r of responses) {
      if (r.prompt !== i || r.finish === 'cancelled' || r.version in byVersion) continue;
      byVersion[r.version] = r.text;
    }
    if (Object.keys(byVersion).length === 0) return;
    lines.push(JSON.stringify({ prompt, ...(taskType ? { task_type: taskType } : {}), responses: byVersion }));
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Two setups' names must differ to be told apart in the file; the second gets a suffix when they do not. */
export function distinctVersions(a: string, b: string): [string, string] {
  return a === b ? [`${a} #1`, `${b} #2`] : [a, b];
}

/**
 * The prompts (by index) that every one of `versions` answered with a finished response: what an A/B
 * labelling project can compare. A run stopped half-way through setup B leaves the rest answered by A
 * only; those stay in the regression file (answersFile) but make no A/B item.
 */
export function answeredByAll(responses: readonly GeneratedResponse[], versions: readonly string[]): Set<number> {
  const by = new Map<number, Set<string>>();
  for (const r of responses) {
    if (r.finish === 'cancelled') continue;
    let set = by.get(r.prompt);
    if (!set) by.set(r.prompt, (set = new Set()));
    set.add(r.version);
  }
  return new Set([...by].filter(([, set]) => versions.every((v) => set.has(v))).map(([prompt]) => prompt));
}
