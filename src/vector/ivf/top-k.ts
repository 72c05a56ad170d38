import type { SearchHit } from '../types.js';

/**
 * The k smallest distances seen so far: a binary max-heap over two typed arrays, so pushing a
 * candidate allocates nothing. One per index, reset per search.
 */
export class TopK {
  private distances = new Float64Array(16);
  private ids = new Float64Array(16);
  private k = 0;
  count = 0;

  reset(k: number): void {
    if (k > this.distances.length) {
      this.distances = new Float64Array(k);
      this.ids = new Float64Array(k);
    }
    this.k = k;
    this.count = 0;
  }

  /** The distance a candidate must beat to enter: the k-th best so far, Infinity until k are held. */
  get bound(): number {
    return this.count < this.k ? Infinity : (this.distances[0] ?? Infinity);
  }

  push(distance: number, id: number): void {
    const { distances, ids } = this;
    if (this.count < this.k) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((distances[parent] ?? 0) >= distance) break;
        distances[i] = distances[parent] ?? 0;
        ids[i] = ids[parent] ?? 0;
        i = parent;
      }
      distances[i] = distance;
      ids[i] = id;
      return;
    }
    if (this.k === 0 || distance >= (distances[0] ?? 0)) return;
    let i = 0;
    const n = this.count;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && (distances[child + 1] ?? 0) > (distances[child] ?? 0)) child++;
      if ((distances[child] ?? 0) <= distance) break;
      distances[i] = distances[child] ?? 0;
      ids[i] = ids[child] ?? 0;
      i = child;
    }
    distances[i] = distance;
    ids[i] = id;
  }

  /** The held hits, nearest first (ties by id, so results do not depend on scan order). */
  sorted(): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < this.count; i++)
      hits.push({ id: this.ids[i] ?? 0, distance: this.distances[i] ?? 0 });
    return hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
  }
}
