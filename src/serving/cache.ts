import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { tensorBytes, type Tensor } from './tensor.js';

/**
 * The response cache (Triton's response_cache): opt-in per model, one LRU shared by all models
 * and bounded in bytes. The key is a SHA-256 over model, loaded version, requested outputs, parameters
 * and every input's name, datatype, shape and bytes, so two requests share an entry only when a
 * deterministic model must answer them identically.
 */
export class ResponseCache {
  readonly #entries: LRUCache<string, Tensor[]>;

  constructor(maxBytes: number) {
    this.#entries = new LRUCache<string, Tensor[]>({
      maxSize: Math.max(maxBytes, 1),
      sizeCalculation: (tensors) =>
        Math.max(
          tensors.reduce((n, t) => n + tensorBytes(t) + 64, 0),
          1,
        ),
    });
  }

  get(key: string): Tensor[] | undefined {
    return this.#entries.get(key);
  }

  set(key: string, outputs: readonly Tensor[]): void {
    this.#entries.set(key, [...outputs]);
  }

  get bytes(): number {
    return this.#entries.calculatedSize;
  }
}

export function cacheKey(
  model: string,
  /** The loaded version's generation, not its number: a reload must not reuse old answers. */
  generation: number,
  inputs: readonly Tensor[],
  outputs: readonly string[],
  parameters: Readonly<Record<string, unknown>>,
): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([model, generation, [...outputs].sort(), parameters]));
  for (const input of inputs) {
    hash.update(JSON.stringify([input.name, input.datatype, input.shape]));
    if (Array.isArray(input.data)) hash.update(JSON.stringify(input.data));
    else {
      const data = input.data;
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  return hash.digest('base64url');
}
