// Readers for user-supplied benchmark data: TEXMEX .fvecs/.ivecs/.bvecs (the SIFT/GIST/Deep1B
// files), NumPy .npy, and ann-benchmarks .hdf5. Each returns rows as Float32Array (Int32Array for
// neighbour ids); the whole file is read into memory, which is what the benchmark does anyway.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';

/**
 * TEXMEX vectors (http://corpus-texmex.irisa.fr): each record is a little-endian i32 dimension d,
 * then d components: f32 in .fvecs, i32 in .ivecs (ground truth), u8 in .bvecs (SIFT1B).
 */
export function readVecs(path: string): Float32Array[] | Int32Array[] {
  const ext = extname(path);
  const width = ext === '.bvecs' ? 1 : 4;
  if (ext !== '.fvecs' && ext !== '.ivecs' && ext !== '.bvecs')
    throw new Error(`${path}: expected .fvecs, .ivecs or .bvecs`);
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ints: Int32Array[] = [];
  const floats: Float32Array[] = [];
  for (let at = 0; at < bytes.byteLength;) {
    if (at + 4 > bytes.byteLength) throw new Error(`${path}: truncated record header at byte ${at}`);
    const dim = view.getInt32(at, true);
    const end = at + 4 + dim * width;
    if (dim <= 0 || end > bytes.byteLength)
      throw new Error(`${path}: bad or truncated record (dimension ${dim}) at byte ${at}`);
    if (ext === '.ivecs') {
      const row = new Int32Array(dim);
      for (let i = 0; i < dim; i++) row[i] = view.getInt32(at + 4 + 4 * i, true);
      ints.push(row);
    } else if (ext === '.fvecs') {
      const row = new Float32Array(dim);
      for (let i = 0; i < dim; i++) row[i] = view.getFloat32(at + 4 + 4 * i, true);
      floats.push(row);
    } else {
      floats.push(Float32Array.from(bytes.subarray(at + 4, end)));
    }
    at = end;
  }
  return ext === '.ivecs' ? ints : floats;
}

interface NpyArray {
  readonly shape: readonly number[];
  /** Row-major values, as f64 (exact for f4, f8 and integers below 2^53). */
  readonly values: (i: number) => number;
}

// The .npy format (numpy.lib.format): "\x93NUMPY", major, minor, a header length (u16 in
// version 1, u32 in 2 and 3), then a Python dict literal with descr, fortran_order and shape.
function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${path} is not a .npy file`);
  const major = bytes[6] ?? 0;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order is not supported`);
  if (descr === undefined || shape === undefined) throw new Error(`${path}: unreadable header ${header}`);
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const data = start + headerLength;
  // '<' little-endian, '|' not applicable (one byte), '=' native: little-endian on every Node target.
  const little = !descr.startsWith('>');
  const kind = descr.replace(/^[<>|=]/, '');
  const readers: Record<string, [number, (at: number) => number]> = {
    f4: [4, (at) => view.getFloat32(at, little)],
    f8: [8, (at) => view.getFloat64(at, little)],
    i4: [4, (at) => view.getInt32(at, little)],
    i8: [8, (at) => Number(view.getBigInt64(at, little))],
    u1: [1, (at) => view.getUint8(at)],
  };
  const reader = readers[kind];
  if (reader === undefined) throw new Error(`${path}: dtype ${descr} is not supported (f4, f8, i4, i8, u1)`);
  const [width, read] = reader;
  const count = dims.reduce((a, b) => a * b, 1);
  if (data + count * width > bytes.byteLength) throw new Error(`${path}: truncated data`);
  return { shape: dims, values: (i) => read(data + i * width) };
}

/** A 2-d .npy array of f4 or f8 (vectors) or i4/i8 (neighbour ids), C order. */
export function readNpyRows(path: string, as: 'float'): Float32Array[];
export function readNpyRows(path: string, as: 'int'): Int32Array[];
export function readNpyRows(path: string, as: 'float' | 'int'): Float32Array[] | Int32Array[] {
  const { shape, values } = readNpy(path);
  const [rows, cols] = shape;
  if (shape.length !== 2 || rows === undefined || cols === undefined)
    throw new Error(`${path}: expected a 2-d array, got shape (${shape.join(', ')})`);
  const make = as === 'float' ? (n: number) => new Float32Array(n) : (n: number) => new Int32Array(n);
  return Array.from({ length: rows }, (_, r) => {
    const row = make(cols);
    for (let c = 0; c < cols; c++) row[c] = values(r * cols + c);
    return row;
  }) as Float32Array[] | Int32Array[];
}

/** Reads vectors from any supported file, by extension. */
export function readVectors(path: string): Float32Array[] {
  switch (extname(path)) {
    case '.fvecs':
    case '.bvecs':
      return readVecs(path) as Float32Array[];
    case '.npy':
      return readNpyRows(path, 'float');
    default:
      throw new Error(`${path}: vectors must be .fvecs, .bvecs or .npy (or pass one .hdf5 file)`);
  }
}

/** Reads ground-truth neighbour ids (one row per query, nearest first). */
export function readNeighbours(path: string): Int32Array[] {
  switch (extname(path)) {
    case '.ivecs':
      return readVecs(path) as Int32Array[];
    case '.npy':
      return readNpyRows(path, 'int');
    default:
      throw new Error(`${path}: ground truth must be .ivecs or .npy`);
  }
}
