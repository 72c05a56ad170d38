// The TypeScript fallback of wasm/heap.as, step for step, so that ties resolve identically.
// A heap at byte address h holds (f32 key, i32 id) pairs 8 bytes apart; f and i view one buffer.

export function heapKey(f: Float32Array, h: number, i: number): number {
  return f[(h >> 2) + 2 * i] ?? 0;
}

export function heapId(w: Int32Array, h: number, i: number): number {
  return w[(h >> 2) + 2 * i + 1] ?? 0;
}

function put(f: Float32Array, w: Int32Array, h: number, i: number, key: number, id: number): void {
  const p = (h >> 2) + 2 * i;
  f[p] = key;
  w[p + 1] = id;
}

export function heapPush(
  f: Float32Array,
  w: Int32Array,
  h: number,
  size: number,
  key: number,
  id: number,
): number {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = heapKey(f, h, parent);
    if (!(key > pk)) break;
    put(f, w, h, i, pk, heapId(w, h, parent));
    i = parent;
  }
  put(f, w, h, i, key, id);
  return size + 1;
}

export function heapReplaceTop(
  f: Float32Array,
  w: Int32Array,
  h: number,
  size: number,
  key: number,
  id: number,
): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let ck = heapKey(f, h, l);
    const r = l + 1;
    if (r < size) {
      const rk = heapKey(f, h, r);
      if (rk > ck) {
        c = r;
        ck = rk;
      }
    }
    if (!(ck > key)) break;
    put(f, w, h, i, ck, heapId(w, h, c));
    i = c;
  }
  put(f, w, h, i, key, id);
}

export function heapPop(f: Float32Array, w: Int32Array, h: number, size: number): number {
  const last = size - 1;
  if (last > 0) heapReplaceTop(f, w, h, last, heapKey(f, h, last), heapId(w, h, last));
  return last;
}
