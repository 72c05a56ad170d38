// The TypeScript fallback of wasm/pq.as, in the same f32 operations and order, so that both
// backends score PQ codes bit for bit alike. The comments on the procedures live in pq.as.
import { KERNEL_IP, KERNEL_L1, type KernelCode } from './engine.js';

const f = Math.fround;

function term(kernel: KernelCode, acc: number, x: number, c: number): number {
  if (kernel === KERNEL_IP) return f(acc - f(x * c));
  const d = f(x - c);
  if (kernel === KERNEL_L1) return f(acc + Math.abs(d));
  return f(acc + f(d * d));
}

/** Codebooks transposed, as pq.as reads them: per subspace, dsub rows of ksub floats. */
export function pqTable(
  x: Float32Array,
  kernel: KernelCode,
  target: number,
  codebooks: number,
  m: number,
  ksub: number,
  dsub: number,
  table: number,
): void {
  for (let s = 0; s < m; s++) {
    const at = (target >> 2) + s * dsub;
    const book = (codebooks >> 2) + s * dsub * ksub;
    for (let j = 0; j < ksub; j++) {
      let acc = 0;
      for (let t = 0; t < dsub; t++) acc = term(kernel, acc, x[at + t] ?? 0, x[book + t * ksub + j] ?? 0);
      x[(table >> 2) + s * ksub + j] = acc;
    }
  }
}

export function pqListTable(
  x: Float32Array,
  terms: number,
  queryTable: number,
  n: number,
  out: number,
): void {
  for (let i = 0; i < n; i++) {
    const q = x[(queryTable >> 2) + i] ?? 0;
    x[(out >> 2) + i] = (x[(terms >> 2) + i] ?? 0) + f(q + q);
  }
}

export function pqScan(
  x: Float32Array,
  bytes: Uint8Array,
  codes: number,
  rows: number,
  m: number,
  ksub: number,
  table: number,
  base: number,
  out: number,
): void {
  const quads = m & ~3;
  for (let r = 0; r < rows; r++) {
    const code = codes + r * m;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let t = table >> 2;
    let s = 0;
    for (; s < quads; s += 4) {
      a0 = f(a0 + (x[t + (bytes[code + s] ?? 0)] ?? 0));
      a1 = f(a1 + (x[t + ksub + (bytes[code + s + 1] ?? 0)] ?? 0));
      a2 = f(a2 + (x[t + 2 * ksub + (bytes[code + s + 2] ?? 0)] ?? 0));
      a3 = f(a3 + (x[t + 3 * ksub + (bytes[code + s + 3] ?? 0)] ?? 0));
      t += 4 * ksub;
    }
    for (; s < m; s++) {
      a0 = f(a0 + (x[t + (bytes[code + s] ?? 0)] ?? 0));
      t += ksub;
    }
    x[(out >> 2) + r] = f(f(base) + f(f(a0 + a1) + f(a2 + a3)));
  }
}
