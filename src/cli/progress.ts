// Training progress for a person, on stderr (stdout carries the JSON lines): a bar redrawn in
// place when stderr is a terminal, plain lines otherwise (a log file, CI), so nothing there is
// ever a screenful of carriage returns.
import type { StepPoint } from '../core/train/events.ts';

export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  steps(last: StepPoint, totalSteps: number, pairsPerSecond: number, elapsedMs: number): void {
    const done = last.step / totalSteps;
    const etaSeconds = done > 0 ? (elapsedMs / 1000) * ((1 - done) / done) : 0;
    const figures =
      `step ${last.step}/${totalSteps}  loss ${last.loss.toFixed(4)}  acc ${(100 * last.accuracy).toFixed(1)}%  ` +
      `${pairsPerSecond.toFixed(1)} pairs/s  ETA ${duration(etaSeconds)}`;
    if (!this.#tty) {
      this.#stream.write(figures + '\n');
      return;
    }
    const width = 24;
    const filled = Math.round(done * width);
    this.#stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${figures}\x1b[K`);
    this.#drawn = true;
  }

  /** A pretrained model's download, in bytes (a whole line per file when stderr is not a terminal). */
  bytes(file: string, loaded: number, total: number | undefined): void {
    const size = total === undefined ? megabytes(loaded) : `${megabytes(loaded)} of ${megabytes(total)}`;
    if (!this.#tty) {
      if (total !== undefined && loaded === total) this.#stream.write(`${file}: ${size}\n`);
      return;
    }
    this.#stream.write(`\r${file}: ${size}\x1b[K`);
    this.#drawn = true;
  }

  /** A line that stays (an evaluation, a notice), printed below the bar. */
  note(text: string): void {
    this.endBar();
    this.#stream.write(text + '\n');
  }

  endBar(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
