// AssemblyScript. Binary max-heap of (f32 key, i32 id) pairs, 8 bytes each, in linear memory.
// The caller owns the size; every function returns the new size. A min-heap is this heap with
// negated keys (hnswlib's trick for its candidate queue). js-heap.ts mirrors it step for step so
// that ties resolve identically on both paths.

// @ts-ignore: decorator
@inline
export function heapKey(h: usize, i: i32): f32 {
  return load<f32>(h + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
export function heapId(h: usize, i: i32): i32 {
  return load<i32>(h + (<usize>i << 3), 4);
}

// @ts-ignore: decorator
@inline
function put(h: usize, i: i32, key: f32, id: i32): void {
  const p = h + (<usize>i << 3);
  store<f32>(p, key);
  store<i32>(p, id, 4);
}

export function heapPush(h: usize, size: i32, key: f32, id: i32): i32 {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const pk = heapKey(h, parent);
    if (!(key > pk)) break;
    put(h, i, pk, heapId(h, parent));
    i = parent;
  }
  put(h, i, key, id);
  return size + 1;
}

// Replaces the top with (key, id) and sifts it down; the size does not change.
export function heapReplaceTop(h: usize, size: i32, key: f32, id: i32): void {
  let i: i32 = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    let ck = heapKey(h, l);
    const r = l + 1;
    if (r < size) {
      const rk = heapKey(h, r);
      if (rk > ck) {
        c = r;
        ck = rk;
      }
    }
    if (!(ck > key)) break;
    put(h, i, ck, heapId(h, c));
    i = c;
  }
  put(h, i, key, id);
}

export function heapPop(h: usize, size: i32): i32 {
  const last = size - 1;
  if (last > 0) heapReplaceTop(h, last, heapKey(h, last), heapId(h, last));
  return last;
}
