// The TypeScript fallback of wasm/pq.as, in the same f32 operations and order, so that both
// backends score PQ codes bit for bit alike. The comments on the procedures live in pq.as.
import { KERNEL_IP, KERNEL_L1, type KernelCode } from './engine.js';
import { dot, l1, l2sq } from './js-kernels.js';

const f = Math.fround;

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
  let c = codebooks >> 2;
  let out = table >> 2;
  for (let s = 0; s < m; s++) {
    const at = (target >> 2) + s * dsub;
    for (let j = 0; j < ksub; j++) {
      if (kernel === KERNEL_IP) x[out] = -dot(x, at, c, dsub);
      else if (kernel === KERNEL_L1) x[out] = l1(x, at, c, dsub);
      else x[out] = l2sq(x, at, c, dsub);
      c += dsub;
      out++;
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
