// What the page keeps in the browser outside IndexedDB: the Hub address (localStorage), and how
// much storage the site uses and whether the browser promised to keep it (navigator.storage).

export const DEFAULT_HUB = 'https://huggingface.co';
const HUB_KEY = 'rmlab.hubEndpoint';

/** Where Hub model ids download from: the address saved in this browser, else the Hugging Face Hub. */
export function readHubEndpoint(): string {
  try {
    return localStorage.getItem(HUB_KEY) || DEFAULT_HUB;
  } catch {
    return DEFAULT_HUB;
  }
}

/** Saves the Hub address (the default is not written out); returns the one in force. */
export function saveHubEndpoint(endpoint: string): string {
  const value = endpoint.trim() || DEFAULT_HUB;
  try {
    if (value === DEFAULT_HUB) localStorage.removeItem(HUB_KEY);
    else localStorage.setItem(HUB_KEY, value);
  } catch {
    // storage refused (private window): the setting lasts for this page only
  }
  return value;
}

export interface StorageInfo {
  usage: number;
  quota: number;
  /** Whether the browser promised not to evict this site's data. */
  persisted: boolean;
}

export async function storageInfo(): Promise<StorageInfo | undefined> {
  if (!navigator.storage?.estimate) return undefined;
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([
    navigator.storage.estimate(),
    navigator.storage.persisted?.() ?? Promise.resolve(false),
  ]);
  return { usage, quota, persisted };
}

/** Asks once that the browser not evict this site's data under storage pressure. */
export async function askToPersist(info: StorageInfo | undefined): Promise<void> {
  if (!info?.persisted) await navigator.storage?.persist?.().catch(() => false);
}
