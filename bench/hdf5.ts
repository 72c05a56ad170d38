// ann-benchmarks data sets (https://github.com/erikbern/ann-benchmarks): one HDF5 file with the
// data sets `train` (base vectors), `test` (queries), `neighbors` (ground-truth ids, nearest
// first; optional here) and the attribute `distance`. Read with h5wasm, HDF5's C library
// compiled to WebAssembly (bench-only dependency; NODERAWFS gives it the host file system).
import h5wasm from 'h5wasm/node';

export interface AnnBenchmarksFile {
  readonly train: Float32Array[];
  readonly test: Float32Array[];
  readonly neighbors: Int32Array[] | undefined;
  /** The file's `distance` attribute as written: euclidean, angular, ... */
  readonly distance: string;
}

type Numbers = ArrayLike<number | bigint>;

function rows<T extends Float32Array | Int32Array>(
  file: InstanceType<typeof h5wasm.File>,
  name: string,
  make: (n: number) => T,
): T[] | undefined {
  const entity = file.get(name);
  if (entity === null) return undefined;
  if (!(entity instanceof h5wasm.Dataset)) throw new Error(`${file.filename}: /${name} is not a data set`);
  const shape = entity.shape ?? [];
  const [count, dim] = shape;
  const value = entity.value as Numbers | null;
  if (shape.length !== 2 || count === undefined || dim === undefined || value === null)
    throw new Error(`${file.filename}: /${name} must be a 2-d numeric array`);
  return Array.from({ length: count }, (_, r) => {
    const row = make(dim);
    for (let c = 0; c < dim; c++) row[c] = Number(value[r * dim + c]);
    return row;
  });
}

export async function readAnnBenchmarks(path: string): Promise<AnnBenchmarksFile> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'r');
  try {
    const train = rows(file, 'train', (n) => new Float32Array(n));
    const test = rows(file, 'test', (n) => new Float32Array(n));
    if (train === undefined || test === undefined)
      throw new Error(`${path}: an ann-benchmarks file needs the data sets /train and /test`);
    const distance = file.attrs['distance']?.value;
    if (typeof distance !== 'string') throw new Error(`${path}: the string attribute "distance" is missing`);
    return { train, test, neighbors: rows(file, 'neighbors', (n) => new Int32Array(n)), distance };
  } finally {
    file.close();
  }
}
