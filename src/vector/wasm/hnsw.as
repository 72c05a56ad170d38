// AssemblyScript. HNSW graph construction and search (Malkov & Yashunin, "Efficient and robust
// approximate nearest neighbor search using Hierarchical Navigable Small World graphs", 2016/2018),
// following hnswlib's hnswalg.h where the paper leaves a choice open. One WebAssembly call per insert
// and per query: the distance kernels, the visited set and both heaps all live in this memory.
//
// Memory layout (owned by src/vector/hnsw-layout.ts, which grows and relocates it):
//   node records, `recBytes` apart (a multiple of 64): vector | at `headerOffset`: level i32 |
//   upper i32 | flags i32 | count i32 | M0 links i32. The vector starts on a cache line, so a
//   distance reads the fewest lines (7 instead of 7 or 8 at 100-d, 8 instead of 9 at 128-d: +2-5%
//   QPS on GloVe-100 from the same graph), and the links of layer 0 share its last line.
//   visited marks: u16 per node (an epoch, so clearing is one increment)
//   upper arena: per node with level L >= 1, L blocks of (count i32 | M links i32); `upper` is the
//   node's byte offset into the arena
//   scratch: query vector, candidate heap (one entry per node), result heap, selection buffers,
//   the unvisited links of the node being expanded
// js-hnsw.ts is the TypeScript fallback of this file, step for step.
import { countScored, resetScored } from './counter';
import { distance } from './distance';
import { heapId, heapKey, heapPop, heapPush, heapReplaceTop } from './heap';

const FLAG_DELETED: i32 = 1;

let metric: i32 = 0;
let dim: i32 = 0;
let maxM: i32 = 16;
let maxM0: i32 = 32;
let efConstruction: i32 = 200;
let capacity: i32 = 0;
let nodes: usize = 0;
let recBytes: usize = 0;
let headerOffset: usize = 0;
let visited: usize = 0;
let arena: usize = 0;
let query: usize = 0;
let candidates: usize = 0;
let results: usize = 0;
let sorted: usize = 0;
let selected: usize = 0;
let pruned: usize = 0;
let batch: usize = 0;
let epoch: i32 = 0;
let entryPoint: i32 = -1;
let maxLevel: i32 = -1;
// Allow mask of the running knnSearch (one byte per node, non-zero = may be returned), or 0.
let allow: usize = 0;

export function configure(
  metric_: i32,
  dim_: i32,
  m: i32,
  efConstruction_: i32,
  capacity_: i32,
  nodes_: usize,
  recBytes_: i32,
  headerOffset_: i32,
  visited_: usize,
  arena_: usize,
  scratch: usize,
  resultCap: i32,
): void {
  metric = metric_;
  dim = dim_;
  maxM = m;
  maxM0 = 2 * m;
  efConstruction = efConstruction_;
  capacity = capacity_;
  nodes = nodes_;
  recBytes = <usize>recBytes_;
  headerOffset = <usize>headerOffset_;
  visited = visited_;
  arena = arena_;
  // Scratch regions, in this order; hnsw-layout.ts sizes them with the same formula.
  query = scratch;
  candidates = query + ((<usize>dim * 4 + 15) & ~15);
  results = candidates + (<usize>capacity << 3);
  sorted = results + ((<usize>resultCap + 1) << 3);
  selected = sorted + ((<usize>resultCap + 1) << 3);
  pruned = selected + ((<usize>maxM0 + 1) << 3);
  batch = pruned + ((<usize>maxM0 + 1) << 3);
  // The layout zeroed the marks when it moved them.
  epoch = 0;
}

export function setEntryPoint(node: i32, level: i32): void {
  entryPoint = node;
  maxLevel = level;
}

export function getEntryPoint(): i32 {
  return entryPoint;
}

export function getMaxLevel(): i32 {
  return maxLevel;
}

export function queryPointer(): usize {
  return query;
}

export function resultsPointer(): usize {
  return results;
}

// @ts-ignore: decorator
@inline
function vectorOf(node: i32): usize {
  return nodes + <usize>node * recBytes;
}

// Address of the (count | links...) block of `node` on layer `lc`.
// @ts-ignore: decorator
@inline
function linksOf(node: i32, lc: i32): usize {
  const header = nodes + <usize>node * recBytes + headerOffset;
  if (lc == 0) return header + 12;
  return arena + <usize>load<i32>(header, 4) + (<usize>(lc - 1) * (<usize>(maxM + 1) << 2));
}

// @ts-ignore: decorator
@inline
function isDeleted(node: i32): bool {
  return (load<i32>(nodes + <usize>node * recBytes + headerOffset, 8) & FLAG_DELETED) != 0;
}

// Whether a search may return `node`. The caller's mask already leaves deleted nodes out.
// @ts-ignore: decorator
@inline
function admits(node: i32): bool {
  return allow == 0 ? !isDeleted(node) : load<u8>(allow + <usize>node) != 0;
}

// WebAssembly has no prefetch instruction. hnswlib prefetches the next neighbour's vector while
// it measures the current one; here a plain load of the first word of every unvisited neighbour's
// vector, all before the first distance, does the same job better: the loads are independent, so
// the out-of-order core has all their misses in flight at once instead of one per distance. The
// sum keeps the loads from being optimised away. Measured on GloVe-100 (331k, from a saved
// graph): +14% QPS over touching only the next neighbour; touching a second line of each vector,
// or touching while the visited marks are checked, was slower.
let touched: i32 = 0;
// @ts-ignore: decorator
@inline
function touch(p: usize): void {
  touched += load<i32>(p);
}

function nextEpoch(): i32 {
  epoch++;
  if (epoch > 0xffff) {
    memory.fill(visited, 0, <usize>capacity << 1);
    epoch = 1;
  }
  return epoch;
}

// SEARCH-LAYER with ef = 1 reduces to greedy descent; hnswlib's searchKnn runs it this way on the
// upper layers, without heaps.
function greedySearchLayer(q: usize, ep: i32, lc: i32): i32 {
  let current = ep;
  let best = distance(metric, q, vectorOf(ep), dim);
  countScored(1);
  let changed = true;
  while (changed) {
    changed = false;
    const block = linksOf(current, lc);
    const count = load<i32>(block);
    countScored(count);
    for (let j: i32 = 0; j < count; j++) {
      const e = load<i32>(block + 4 + (<usize>j << 2));
      const d = distance(metric, q, vectorOf(e), dim);
      if (d < best) {
        best = d;
        current = e;
        changed = true;
      }
    }
  }
  return current;
}

// SEARCH-LAYER (Algorithm 2), as hnswlib's searchBaseLayerST. Leaves up to ef nearest elements in
// the result max-heap and returns their number. With `filtered`, elements that admits() rejects
// (deleted ones, or those outside the allow mask) are still traversed (they keep the graph
// connected) but never enter the results, and the search goes on until it holds ef admitted
// results. A filtered search is the same walk with the allow mask in place of the deleted flag
// (hnswlib's filter functor, Qdrant's filtered HNSW): non-matching nodes are waypoints, so the
// matching ones stay reachable at any selectivity. Without `filtered` (no deletes, no mask:
// hnswlib's bare_bone_search) the check is skipped, and with it a read of each new candidate's
// record header, which sits on another cache line than its vector.
function searchLayer(q: usize, ep: i32, ef: i32, lc: i32, filtered: bool): i32 {
  const mark = <u16>nextEpoch();
  let nc: i32 = 0;
  let nw: i32 = 0;
  const d0 = distance(metric, q, vectorOf(ep), dim);
  countScored(1);
  store<u16>(visited + (<usize>ep << 1), mark);
  nc = heapPush(candidates, nc, -d0, ep);
  let bound: f32 = f32.MAX_VALUE;
  if (!filtered || admits(ep)) {
    nw = heapPush(results, nw, d0, ep);
    bound = d0;
  }
  while (nc > 0) {
    const dc = -heapKey(candidates, 0);
    const c = heapId(candidates, 0);
    if (dc > bound && nw == ef) break;
    nc = heapPop(candidates, nc);
    // Two passes over the links: first the visited marks, then the distances. The mark reads are
    // independent random loads that the CPU overlaps when nothing else is in flight; interleaved
    // with the distance kernels they were serialised behind them. Same visiting order as one pass.
    const block = linksOf(c, lc);
    const count = load<i32>(block);
    let fresh: i32 = 0;
    for (let j: i32 = 0; j < count; j++) {
      const e = load<i32>(block + 4 + (<usize>j << 2));
      const vp = visited + (<usize>e << 1);
      if (load<u16>(vp) == mark) continue;
      store<u16>(vp, mark);
      store<i32>(batch + (<usize>fresh << 2), e);
      fresh++;
    }
    countScored(fresh);
    for (let j: i32 = 0; j < fresh; j++) touch(vectorOf(load<i32>(batch + (<usize>j << 2))));
    for (let j: i32 = 0; j < fresh; j++) {
      const e = load<i32>(batch + (<usize>j << 2));
      const d = distance(metric, q, vectorOf(e), dim);
      if (nw < ef || d < bound) {
        nc = heapPush(candidates, nc, -d, e);
        if (!filtered || admits(e)) {
          if (nw < ef) nw = heapPush(results, nw, d, e);
          else heapReplaceTop(results, nw, d, e);
          bound = heapKey(results, 0);
        }
      }
    }
  }
  return nw;
}

// Moves the result heap into `sorted`, nearest first; returns the count.
function drainSorted(n: i32): i32 {
  let size = n;
  while (size > 0) {
    const p = sorted + (<usize>(size - 1) << 3);
    store<f32>(p, heapKey(results, 0));
    store<i32>(p, heapId(results, 0), 4);
    size = heapPop(results, size);
  }
  return n;
}

// SELECT-NEIGHBORS-HEURISTIC (Algorithm 4) as hnswlib's getNeighborsByHeuristic2: a candidate is
// kept only if it is closer to the base element than to every neighbour kept so far, which
// spreads the links over directions. `cand` holds n (distance, id) pairs sorted ascending; the
// kept ones go to `out` in the same order. The paper's extendCandidates and
// keepPrunedConnections options are omitted, as in hnswlib (both off by default in the paper).
function selectNeighborsHeuristic(cand: usize, n: i32, m: i32, out: usize): i32 {
  if (n < m) {
    memory.copy(out, cand, <usize>n << 3);
    return n;
  }
  let kept: i32 = 0;
  for (let i: i32 = 0; i < n && kept < m; i++) {
    const p = cand + (<usize>i << 3);
    const dq = load<f32>(p);
    const e = load<i32>(p, 4);
    const ve = vectorOf(e);
    let good = true;
    for (let j: i32 = 0; j < kept; j++) {
      const s = load<i32>(out + (<usize>j << 3), 4);
      if (distance(metric, ve, vectorOf(s), dim) < dq) {
        good = false;
        break;
      }
    }
    if (good) {
      const o = out + (<usize>kept << 3);
      store<f32>(o, dq);
      store<i32>(o, e, 4);
      kept++;
    }
  }
  return kept;
}

// Inserts (d, id) into the ascending array at `buf` holding n pairs (ties broken by id).
function insertSorted(buf: usize, n: i32, d: f32, id: i32): void {
  let i = n;
  while (i > 0) {
    const p = buf + (<usize>(i - 1) << 3);
    const pd = load<f32>(p);
    if (pd < d || (pd == d && load<i32>(p, 4) < id)) break;
    store<u64>(p + 8, load<u64>(p));
    i--;
  }
  const q = buf + (<usize>i << 3);
  store<f32>(q, d);
  store<i32>(q, id, 4);
}

// The linking half of INSERT (Algorithm 1, lines 10-17), hnswlib's mutuallyConnectNewElement:
// link q to M neighbours chosen by the heuristic, add the reverse links, and shrink a neighbour's
// list with the same heuristic when it overflows (Mmax on upper layers, Mmax0 = 2M on layer 0).
// Returns the nearest selected neighbour, the entry point for the next layer down.
function connect(q: i32, found: i32, lc: i32): i32 {
  const n = drainSorted(found);
  const kept = selectNeighborsHeuristic(sorted, n, maxM, selected);
  linkSelected(q, kept, selected, lc, 0, 1);
  return load<i32>(selected, 4);
}

// Writes q's links on layer lc from the `kept` (distance, id) pairs at `sel`, and the reverse
// links, pruning a neighbour's overflowing list. Of these, only the lists of nodes n with
// n % parts == part: a parallel build splits the linking of a batch this way (linkPart).
function linkSelected(q: i32, kept: i32, sel: usize, lc: i32, part: i32, parts: i32): void {
  if (q % parts == part) {
    const own = linksOf(q, lc);
    store<i32>(own, kept);
    for (let i: i32 = 0; i < kept; i++) {
      store<i32>(own + 4 + (<usize>i << 2), load<i32>(sel + (<usize>i << 3), 4));
    }
  }
  const mMax = lc == 0 ? maxM0 : maxM;
  for (let i: i32 = 0; i < kept; i++) {
    const s = load<i32>(sel + (<usize>i << 3), 4);
    if (s % parts != part) continue;
    const block = linksOf(s, lc);
    const count = load<i32>(block);
    if (count < mMax) {
      store<i32>(block + 4 + (<usize>count << 2), q);
      store<i32>(block, count + 1);
      continue;
    }
    const vs = vectorOf(s);
    insertSorted(sorted, 0, load<f32>(sel + (<usize>i << 3)), q);
    for (let j: i32 = 0; j < count; j++) {
      const e = load<i32>(block + 4 + (<usize>j << 2));
      insertSorted(sorted, j + 1, distance(metric, vs, vectorOf(e), dim), e);
    }
    const left = selectNeighborsHeuristic(sorted, count + 1, mMax, pruned);
    store<i32>(block, left);
    for (let j: i32 = 0; j < left; j++) {
      store<i32>(block + 4 + (<usize>j << 2), load<i32>(pruned + (<usize>j << 3), 4));
    }
  }
}

// INSERT (Algorithm 1). The caller has written q's vector, level, arena offset and zero counts, and
// drawn the level as floor(-ln(U) * mL) with mL = 1 / ln(M) (section 4.1).
export function insert(q: i32, level: i32): void {
  if (entryPoint < 0) {
    entryPoint = q;
    maxLevel = level;
    return;
  }
  const vq = vectorOf(q);
  let ep = entryPoint;
  for (let lc = maxLevel; lc > level; lc--) ep = greedySearchLayer(vq, ep, lc);
  for (let lc = min(level, maxLevel); lc >= 0; lc--) {
    const found = searchLayer(vq, ep, efConstruction, lc, false);
    ep = connect(q, found, lc);
  }
  if (level > maxLevel) {
    entryPoint = q;
    maxLevel = level;
  }
}

// K-NN-SEARCH (Algorithm 5) for the query at queryPointer(). Leaves up to k (distance, node) pairs,
// nearest first, at resultsPointer() and returns their number. `mask` (0 for none) restricts the
// results to nodes whose byte is non-zero; the upper layers are walked unfiltered, since they only
// pick the entry point. `skipDeleted` (0 when the index holds no tombstones) makes an unmasked
// search read the deleted flags.
export function knnSearch(k: i32, ef: i32, mask: usize, skipDeleted: bool): i32 {
  resetScored();
  if (entryPoint < 0) return 0;
  let ep = entryPoint;
  for (let lc = maxLevel; lc > 0; lc--) ep = greedySearchLayer(query, ep, lc);
  allow = mask;
  let n = searchLayer(query, ep, max(ef, k), 0, mask != 0 || skipDeleted);
  allow = 0;
  while (n > k) n = heapPop(results, n);
  drainSorted(n);
  memory.copy(results, sorted, <usize>n << 3);
  return n;
}

// Batch-parallel INSERT (docs/decisions/0016). A batch's points are placed (vector, level, zero
// link counts) at slots batchStart.. before any is linked; then every point runs findNeighbours,
// in parallel instances over one shared memory, each with its own globals and scratch; then
// linkPart links them as if in slot order, split by the node whose list changes. findNeighbours
// only reads the graph, so the searches need no locks, and the graph does not depend on how
// either phase was scheduled.

// Bytes of one layer's block in findNeighbours' output: count i32, then maxM (distance, id) pairs.
export function foundBlockBytes(): i32 {
  return 4 + (maxM << 3);
}

// The searching half of INSERT for slot q, at the level its header holds: descends the graph as
// it was before the batch from (ep, epLevel) (ep < 0 when it was empty), and on each layer
// lc <= level merges the
// efConstruction nearest nodes found there with the batch's earlier points whose level reaches lc
// (slots batchStart..q-1: the graph cannot lead to them yet), all measured exactly, and selects
// q's neighbours from that list with the heuristic. Writes layer lc's selection at out + lc *
// foundBlockBytes(). The next layer down is entered at the nearest node the graph search found,
// never at a batch point, whose links are not written yet.
export function findNeighbours(q: i32, ep: i32, epLevel: i32, batchStart: i32, out: usize): void {
  const vq = vectorOf(q);
  const level = load<i32>(vq + headerOffset);
  let current = ep;
  if (ep >= 0) {
    for (let lc = epLevel; lc > level; lc--) current = greedySearchLayer(vq, current, lc);
  }
  const blockBytes = <usize>foundBlockBytes();
  for (let lc = level; lc >= 0; lc--) {
    let nw: i32 = 0;
    if (ep >= 0 && lc <= epLevel) {
      nw = searchLayer(vq, current, efConstruction, lc, false);
      current = nearestResult(nw);
    }
    for (let j = batchStart; j < q; j++) {
      if (load<i32>(vectorOf(j) + headerOffset) < lc) continue;
      const d = distance(metric, vq, vectorOf(j), dim);
      if (nw < efConstruction) nw = heapPush(results, nw, d, j);
      else if (d < heapKey(results, 0)) heapReplaceTop(results, nw, d, j);
    }
    const n = drainSorted(nw);
    const block = out + <usize>lc * blockBytes;
    const kept = selectNeighborsHeuristic(sorted, n, maxM, block + 4);
    store<i32>(block, kept);
  }
}

// The node of least distance in the result heap (the first of equals in heap order).
function nearestResult(n: i32): i32 {
  let best = heapId(results, 0);
  let bestKey = heapKey(results, 0);
  for (let i: i32 = 1; i < n; i++) {
    const key = heapKey(results, i);
    if (key < bestKey) {
      bestKey = key;
      best = heapId(results, i);
    }
  }
  return best;
}

// The linking half for the batch's points (slots batchStart + i, selections at out + i * stride):
// applies their selections in slot order, as many INSERTs would, but only to the lists of nodes n
// with n % parts == part. A node's list changes only through its own updates, in slot order here
// whichever thread applies them, so `parts` threads build the same links as one. The caller then
// moves the entry point (setEntryPoint), which only it may write.
export function linkPart(
  batchStart: i32,
  count: i32,
  out: usize,
  stride: usize,
  part: i32,
  parts: i32,
): void {
  const blockBytes = <usize>foundBlockBytes();
  for (let i: i32 = 0; i < count; i++) {
    const q = batchStart + i;
    const level = load<i32>(vectorOf(q) + headerOffset);
    const found = out + <usize>i * stride;
    for (let lc = level; lc >= 0; lc--) {
      const block = found + <usize>lc * blockBytes;
      linkSelected(q, load<i32>(block), block + 4, lc, part, parts);
    }
  }
}
