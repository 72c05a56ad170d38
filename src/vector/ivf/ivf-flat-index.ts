import type { SearchHit } from '../types.js';
import { rowDistance } from './distance.js';
import { IvfIndex, type IvfOptions } from './ivf-index.js';
import type { TopK } from './top-k.js';

export type IvfFlatIndexOptions = IvfOptions;

/**
 * IVF-Flat: the lists hold full vectors (4 · dimension bytes each) and distances are exact, so
 * the only approximation is which lists are probed; at nprobe = nlist it returns the true top k.
 */
export class IvfFlatIndex extends IvfIndex {
  readonly kind = 'ivf_flat';
  readonly exact = false;

  constructor(options: IvfFlatIndexOptions) {
    super(options, 4 * options.dimension);
  }

  protected trainCodes(): void {
    // The lists store the vectors themselves: nothing to train beyond the coarse quantizer.
  }

  protected encode(vector: Float32Array, _list: number, codes: Uint8Array, at: number): void {
    new Float32Array(codes.buffer, codes.byteOffset, codes.byteLength >> 2).set(vector, at >> 2);
  }

  protected prepare(): void {
    // Exact distances need no per-query tables.
  }

  protected scanList(
    query: Float32Array,
    list: number,
    heap: TopK,
    allow: ((id: number) => boolean) | undefined,
  ): void {
    const d = this.dimension;
    const distance = rowDistance[this.metric];
    const codes = this.lists.codesOf(list);
    const rows = new Float32Array(codes.buffer, codes.byteOffset, codes.byteLength >> 2);
    const ids = this.lists.idsOf(list);
    const n = this.lists.sizeOf(list);
    for (let row = 0; row < n; row++) {
      const id = ids[row] ?? 0;
      if (allow !== undefined && !allow(id)) continue;
      heap.push(distance(query, rows, row * d, d), id);
    }
  }

  protected override finish(_query: Float32Array, candidates: SearchHit[], k: number): SearchHit[] {
    return candidates.slice(0, k);
  }
}
