// User ids in a feedback log: kept, dropped, or replaced by a pseudonym before anything is stored.
// A pseudonym is the first 16 hex digits of SHA-256(salt + id) with a random salt made for the import
// and never stored: the same user keeps one pseudonym within the dataset (so per-user analysis and
// agreement still work), but it cannot be turned back into the id, nor matched to another import.
import type { FeedbackEvent } from './events.ts';

export type UserIdPolicy = 'keep' | 'hash' | 'drop';

export const USER_ID_POLICIES: readonly UserIdPolicy[] = ['keep', 'hash', 'drop'];

export class UserIdProtector {
  private readonly pseudonyms = new Map<string, Promise<string>>();
  private readonly salt: string;

  constructor(
    readonly policy: UserIdPolicy,
    salt?: string,
  ) {
    this.salt =
      salt ?? Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** The events with their user ids kept, dropped or pseudonymised (new objects; the inputs are not changed). */
  async apply(events: readonly FeedbackEvent[]): Promise<FeedbackEvent[]> {
    if (this.policy === 'keep') return [...events];
    return Promise.all(
      events.map(async (e) => {
        if (e.userId === undefined) return e;
        const { userId, ...rest } = e;
        return this.policy === 'drop' ? rest : { ...rest, userId: await this.pseudonym(userId) };
      }),
    );
  }

  private pseudonym(id: string): Promise<string> {
    let p = this.pseudonyms.get(id);
    if (p === undefined) {
      p = crypto.subtle
        .digest('SHA-256', new TextEncoder().encode(this.salt + id))
        .then((digest) =>
          Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join(''),
        );
      this.pseudonyms.set(id, p);
    }
    return p;
  }
}
