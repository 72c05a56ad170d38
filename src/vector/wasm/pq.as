// AssemblyScript. IVF-PQ's asymmetric distance computation (Jégou, Douze & Schmid 2011, §III.A):
// per query (or per probed list) a table holds, for every subspace s and sub-centroid j, the
// distance between the query's subvector s and centroid j; a code of m bytes then scores as m
// table look-ups. src/vector/ivf/adc-scanner.ts lays the memory out; js-pq.ts replays these
// procedures in f32, in the same order, so both backends return bit-identical distances.
import { METRIC_IP, METRIC_L1 } from './distance';

// One coordinate's term of a table entry, for four sub-centroids at once: squared L2, L1, or the
// negated product (so that m entries add up to −q·x; the caller adds the constant).
// @ts-ignore: decorator
@inline
function term(metric: i32, acc: v128, x: v128, c: v128): v128 {
  if (metric == METRIC_IP) return f32x4.sub(acc, f32x4.mul(x, c));
  const d = f32x4.sub(x, c);
  if (metric == METRIC_L1) return f32x4.add(acc, f32x4.abs(d));
  return f32x4.add(acc, f32x4.mul(d, d));
}

// @ts-ignore: decorator
@inline
function scalarTerm(metric: i32, acc: f32, x: f32, c: f32): f32 {
  if (metric == METRIC_IP) return acc - x * c;
  const d = x - c;
  if (metric == METRIC_L1) return acc + abs<f32>(d);
  return acc + d * d;
}

// table[s · ksub + j]: the distance between the dsub floats of `target` in subspace s and
// sub-centroid j. The codebooks are transposed (per subspace, dsub rows of ksub floats: coordinate
// t of every centroid) so that one v128 holds four centroids' coordinate t and an entry costs
// dsub/4 vector steps: dsub is 2 to 8 as a rule, too short to vectorise along. Each lane adds its
// coordinates in order, as the scalar tail (ksub mod 4 centroids) does.
export function pqTable(
  metric: i32,
  target: usize,
  codebooks: usize,
  m: i32,
  ksub: i32,
  dsub: i32,
  table: usize,
): void {
  const rowBytes = <usize>ksub << 2;
  let book = codebooks;
  let out = table;
  for (let s: i32 = 0; s < m; s++) {
    const x = target + ((<usize>s * <usize>dsub) << 2);
    let j: i32 = 0;
    for (; j + 4 <= ksub; j += 4) {
      let acc = f32x4.splat(0);
      let c = book + (<usize>j << 2);
      for (let t: i32 = 0; t < dsub; t++) {
        acc = term(metric, acc, f32x4.splat(load<f32>(x + (<usize>t << 2))), v128.load(c));
        c += rowBytes;
      }
      v128.store(out + (<usize>j << 2), acc);
    }
    for (; j < ksub; j++) {
      let acc: f32 = 0;
      let c = book + (<usize>j << 2);
      for (let t: i32 = 0; t < dsub; t++) {
        acc = scalarTerm(metric, acc, load<f32>(x + (<usize>t << 2)), load<f32>(c));
        c += rowBytes;
      }
      store<f32>(out + (<usize>j << 2), acc);
    }
    book += <usize>dsub * rowBytes;
    out += rowBytes;
  }
}

// The table of one list under Euclidean IVF-PQ with precomputed terms: ‖q − c − r‖² = ‖q − c‖² +
// (‖r‖² + 2·c·r) − 2·q·r, so a list's table is its stored terms plus twice the query's −q·r
// table (pqTable with METRIC_IP); ‖q − c‖² is the base pqScan adds. n floats, a multiple of 4
// (ksub of a trained quantizer with fewer than 4 centroids leaves a scalar tail).
export function pqListTable(terms: usize, queryTable: usize, n: i32, out: usize): void {
  let i: i32 = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const q = v128.load(queryTable + o);
    v128.store(out + o, f32x4.add(v128.load(terms + o), f32x4.add(q, q)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const q = load<f32>(queryTable + o);
    store<f32>(out + o, load<f32>(terms + o) + (q + q));
  }
}

// Writes base + Σ_s table[s · ksub + code[s]] for each of `rows` codes of m bytes to `out` (f32
// each). Four accumulators over subspaces 4t … 4t+3 break the chain of dependent additions (the
// look-ups are independent; one running sum would wait on every add), and one u32 load fetches
// their four code bytes. The remaining m mod 4 subspaces add into the first accumulator.
export function pqScan(
  codes: usize,
  rows: i32,
  m: i32,
  ksub: i32,
  table: usize,
  base: f32,
  out: usize,
): void {
  const stride = <usize>ksub << 2;
  const quads = m & ~3;
  let code = codes;
  for (let r: i32 = 0; r < rows; r++) {
    let a0: f32 = 0;
    let a1: f32 = 0;
    let a2: f32 = 0;
    let a3: f32 = 0;
    let t = table;
    let s: i32 = 0;
    for (; s < quads; s += 4) {
      const w = load<u32>(code + <usize>s);
      a0 += load<f32>(t + (<usize>(w & 255) << 2));
      a1 += load<f32>(t + stride + (<usize>((w >> 8) & 255) << 2));
      a2 += load<f32>(t + 2 * stride + (<usize>((w >> 16) & 255) << 2));
      a3 += load<f32>(t + 3 * stride + (<usize>(w >> 24) << 2));
      t += 4 * stride;
    }
    for (; s < m; s++) {
      a0 += load<f32>(t + (<usize>load<u8>(code + <usize>s) << 2));
      t += stride;
    }
    store<f32>(out + (<usize>r << 2), base + (a0 + a1 + (a2 + a3)));
    code += <usize>m;
  }
}
