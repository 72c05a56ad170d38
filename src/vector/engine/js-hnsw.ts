// The TypeScript fallback of wasm/hnsw.as: the same procedures, step for step, over the same
// memory layout, so that both backends build the same graph and return the same results. The
// comments on the algorithm live in hnsw.as; this file only notes where it has to differ.
import {
  KERNEL_HAMMING,
  KERNEL_I8_IP,
  KERNEL_I8_L1,
  KERNEL_I8_L2,
  KERNEL_IP,
  KERNEL_L1,
  KERNEL_L2,
  type KernelCode,
} from './engine.js';
import { hamming, l1I8, l2sqI8, negDotI8 } from './js-codes.js';
import { heapId, heapKey, heapPop, heapPush, heapReplaceTop } from './js-heap.js';
import { dot, l1, l2sq } from './js-kernels.js';

const FLAG_DELETED = 1;
const F32_MAX = 3.4028234663852886e38;

export class JsHnsw {
  private f = new Float32Array(0);
  private w = new Int32Array(0);
  private marks = new Uint16Array(0);
  private bytes = new Uint8Array(0);
  private codes = new Int8Array(0);
  private allow = 0;
  private kernel: KernelCode = KERNEL_L2;
  private dim = 0;
  private maxM = 16;
  private maxM0 = 32;
  private efConstruction = 200;
  private capacity = 0;
  private nodes = 0;
  private recBytes = 0;
  private headerOffset = 0;
  private visited = 0;
  private arena = 0;
  query = 0;
  results = 0;
  private candidates = 0;
  private sorted = 0;
  private selected = 0;
  private pruned = 0;
  private epoch = 0;
  entryPoint = -1;
  maxLevel = -1;
  /** Distances computed by the last knnSearch or flatSearch, as wasm/counter.as counts them. */
  scored = 0;

  /** Takes fresh views after the buffer was replaced. */
  attach(buffer: ArrayBuffer): void {
    this.f = new Float32Array(buffer);
    this.w = new Int32Array(buffer);
    this.marks = new Uint16Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.codes = new Int8Array(buffer);
  }

  distance(kernel: KernelCode, a: number, b: number, n: number): number {
    switch (kernel) {
      case KERNEL_L2:
        return l2sq(this.f, a >> 2, b >> 2, n);
      case KERNEL_IP:
        return Math.fround(1 - dot(this.f, a >> 2, b >> 2, n));
      case KERNEL_L1:
        return l1(this.f, a >> 2, b >> 2, n);
      case KERNEL_I8_L2:
        return l2sqI8(this.codes, a, b, n);
      case KERNEL_I8_IP:
        return negDotI8(this.codes, a, b, n);
      case KERNEL_I8_L1:
        return l1I8(this.codes, a, b, n);
      case KERNEL_HAMMING:
        return hamming(this.w, a, b, n);
    }
  }

  configure(
    kernel: KernelCode,
    dim: number,
    m: number,
    efConstruction: number,
    capacity: number,
    nodes: number,
    recBytes: number,
    headerOffset: number,
    visited: number,
    arena: number,
    scratch: number,
    resultCap: number,
  ): void {
    this.kernel = kernel;
    this.dim = dim;
    this.maxM = m;
    this.maxM0 = 2 * m;
    this.efConstruction = efConstruction;
    this.capacity = capacity;
    this.nodes = nodes;
    this.recBytes = recBytes;
    this.headerOffset = headerOffset;
    this.visited = visited;
    this.arena = arena;
    this.query = scratch;
    this.candidates = this.query + ((dim * 4 + 15) & ~15);
    this.results = this.candidates + capacity * 8;
    this.sorted = this.results + (resultCap + 1) * 8;
    this.selected = this.sorted + (resultCap + 1) * 8;
    this.pruned = this.selected + (this.maxM0 + 1) * 8;
    this.epoch = 0;
  }

  private i32(p: number): number {
    return this.w[p >> 2] ?? 0;
  }

  private vectorOf(node: number): number {
    return this.nodes + node * this.recBytes;
  }

  private linksOf(node: number, lc: number): number {
    const header = this.nodes + node * this.recBytes + this.headerOffset;
    if (lc === 0) return header + 12;
    return this.arena + this.i32(header + 4) + (lc - 1) * ((this.maxM + 1) << 2);
  }

  private isDeleted(node: number): boolean {
    return (this.i32(this.nodes + node * this.recBytes + this.headerOffset + 8) & FLAG_DELETED) !== 0;
  }

  private admits(node: number): boolean {
    return this.allow === 0 ? !this.isDeleted(node) : this.bytes[this.allow + node] !== 0;
  }

  private dist(a: number, b: number): number {
    return this.distance(this.kernel, a, b, this.dim);
  }

  private nextEpoch(): number {
    this.epoch++;
    if (this.epoch > 0xffff) {
      this.marks.fill(0, this.visited >> 1, (this.visited >> 1) + this.capacity);
      this.epoch = 1;
    }
    return this.epoch;
  }

  private greedySearchLayer(q: number, ep: number, lc: number): number {
    let current = ep;
    let best = this.dist(q, this.vectorOf(ep));
    this.scored++;
    let changed = true;
    while (changed) {
      changed = false;
      const block = this.linksOf(current, lc);
      const count = this.i32(block);
      this.scored += count;
      for (let j = 0; j < count; j++) {
        const e = this.i32(block + 4 + 4 * j);
        const d = this.dist(q, this.vectorOf(e));
        if (d < best) {
          best = d;
          current = e;
          changed = true;
        }
      }
    }
    return current;
  }

  // hnsw.as reads the links in two passes (marks, then distances); one pass visits the same nodes
  // in the same order, and is what a JIT-compiled JS loop runs best.
  private searchLayer(q: number, ep: number, ef: number, lc: number, filtered: boolean): number {
    const { f, w, marks, candidates, results } = this;
    const mark = this.nextEpoch();
    const vis = this.visited >> 1;
    let nc = 0;
    let nw = 0;
    const d0 = this.dist(q, this.vectorOf(ep));
    this.scored++;
    marks[vis + ep] = mark;
    nc = heapPush(f, w, candidates, nc, -d0, ep);
    let bound = F32_MAX;
    if (!filtered || this.admits(ep)) {
      nw = heapPush(f, w, results, nw, d0, ep);
      bound = d0;
    }
    while (nc > 0) {
      const dc = -heapKey(f, candidates, 0);
      const c = heapId(w, candidates, 0);
      if (dc > bound && nw === ef) break;
      nc = heapPop(f, w, candidates, nc);
      const block = this.linksOf(c, lc);
      const count = this.i32(block);
      for (let j = 0; j < count; j++) {
        const e = this.i32(block + 4 + 4 * j);
        if (marks[vis + e] === mark) continue;
        marks[vis + e] = mark;
        this.scored++;
        const d = this.dist(q, this.vectorOf(e));
        if (nw < ef || d < bound) {
          nc = heapPush(f, w, candidates, nc, -d, e);
          if (!filtered || this.admits(e)) {
            if (nw < ef) nw = heapPush(f, w, results, nw, d, e);
            else heapReplaceTop(f, w, results, nw, d, e);
            bound = heapKey(f, results, 0);
          }
        }
      }
    }
    return nw;
  }

  private drainSorted(n: number): number {
    const { f, w, results, sorted } = this;
    let size = n;
    while (size > 0) {
      const p = (sorted >> 2) + 2 * (size - 1);
      f[p] = heapKey(f, results, 0);
      w[p + 1] = heapId(w, results, 0);
      size = heapPop(f, w, results, size);
    }
    return n;
  }

  private selectNeighborsHeuristic(cand: number, n: number, m: number, out: number): number {
    const { f, w } = this;
    if (n < m) {
      w.copyWithin(out >> 2, cand >> 2, (cand >> 2) + 2 * n);
      return n;
    }
    let kept = 0;
    for (let i = 0; i < n && kept < m; i++) {
      const p = (cand >> 2) + 2 * i;
      const dq = f[p] ?? 0;
      const e = w[p + 1] ?? 0;
      const ve = this.vectorOf(e);
      let good = true;
      for (let j = 0; j < kept; j++) {
        const s = w[(out >> 2) + 2 * j + 1] ?? 0;
        if (this.dist(ve, this.vectorOf(s)) < dq) {
          good = false;
          break;
        }
      }
      if (good) {
        const o = (out >> 2) + 2 * kept;
        f[o] = dq;
        w[o + 1] = e;
        kept++;
      }
    }
    return kept;
  }

  private insertSorted(buf: number, n: number, d: number, id: number): void {
    const { f, w } = this;
    const base = buf >> 2;
    let i = n;
    while (i > 0) {
      const p = base + 2 * (i - 1);
      const pd = f[p] ?? 0;
      if (pd < d || (pd === d && (w[p + 1] ?? 0) < id)) break;
      // Copies the pair as raw bits through the Int32Array view, as the WASM u64 move does:
      // a Float32Array round trip could change a NaN payload.
      w[p + 2] = w[p] ?? 0;
      w[p + 3] = w[p + 1] ?? 0;
      i--;
    }
    const q = base + 2 * i;
    f[q] = d;
    w[q + 1] = id;
  }

  private connect(q: number, found: number, lc: number): number {
    const { f, w, sorted, selected, pruned } = this;
    const n = this.drainSorted(found);
    const kept = this.selectNeighborsHeuristic(sorted, n, this.maxM, selected);
    const own = this.linksOf(q, lc) >> 2;
    w[own] = kept;
    for (let i = 0; i < kept; i++) w[own + 1 + i] = w[(selected >> 2) + 2 * i + 1] ?? 0;
    const mMax = lc === 0 ? this.maxM0 : this.maxM;
    for (let i = 0; i < kept; i++) {
      const s = w[(selected >> 2) + 2 * i + 1] ?? 0;
      const block = this.linksOf(s, lc) >> 2;
      const count = w[block] ?? 0;
      if (count < mMax) {
        w[block + 1 + count] = q;
        w[block] = count + 1;
        continue;
      }
      const vs = this.vectorOf(s);
      this.insertSorted(sorted, 0, f[(selected >> 2) + 2 * i] ?? 0, q);
      for (let j = 0; j < count; j++) {
        const e = w[block + 1 + j] ?? 0;
        this.insertSorted(sorted, j + 1, this.dist(vs, this.vectorOf(e)), e);
      }
      const left = this.selectNeighborsHeuristic(sorted, count + 1, mMax, pruned);
      w[block] = left;
      for (let j = 0; j < left; j++) w[block + 1 + j] = w[(pruned >> 2) + 2 * j + 1] ?? 0;
    }
    return w[(selected >> 2) + 1] ?? 0;
  }

  insert(q: number, level: number): void {
    if (this.entryPoint < 0) {
      this.entryPoint = q;
      this.maxLevel = level;
      return;
    }
    const vq = this.vectorOf(q);
    let ep = this.entryPoint;
    for (let lc = this.maxLevel; lc > level; lc--) ep = this.greedySearchLayer(vq, ep, lc);
    for (let lc = Math.min(level, this.maxLevel); lc >= 0; lc--) {
      const found = this.searchLayer(vq, ep, this.efConstruction, lc, false);
      ep = this.connect(q, found, lc);
    }
    if (level > this.maxLevel) {
      this.entryPoint = q;
      this.maxLevel = level;
    }
  }

  knnSearch(k: number, ef: number, mask: number, skipDeleted: number): number {
    this.scored = 0;
    if (this.entryPoint < 0) return 0;
    const { f, w, results, sorted } = this;
    let ep = this.entryPoint;
    for (let lc = this.maxLevel; lc > 0; lc--) ep = this.greedySearchLayer(this.query, ep, lc);
    this.allow = mask;
    let n = this.searchLayer(this.query, ep, Math.max(ef, k), 0, mask !== 0 || skipDeleted !== 0);
    this.allow = 0;
    while (n > k) n = heapPop(f, w, results, n);
    this.drainSorted(n);
    w.copyWithin(results >> 2, sorted >> 2, (sorted >> 2) + 2 * n);
    return n;
  }

  flatSearch(
    kernel: KernelCode,
    query: number,
    base: number,
    stride: number,
    rows: number,
    dim: number,
    k: number,
    heap: number,
    mask: number,
  ): number {
    const { f, w, bytes } = this;
    let size = 0;
    let measured = 0;
    for (let i = 0; i < rows; i++) {
      if (mask !== 0 && bytes[mask + i] === 0) continue;
      measured++;
      const d = this.distance(kernel, query, base + i * stride, dim);
      if (size < k) size = heapPush(f, w, heap, size, d, i);
      else if (d < heapKey(f, heap, 0)) heapReplaceTop(f, w, heap, size, d, i);
    }
    this.scored = measured;
    const n = size;
    while (size > 1) {
      const key = heapKey(f, heap, 0);
      const id = heapId(w, heap, 0);
      size = heapPop(f, w, heap, size);
      const p = (heap >> 2) + 2 * size;
      f[p] = key;
      w[p + 1] = id;
    }
    return n;
  }
}
