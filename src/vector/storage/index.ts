// The storage layer of the vector engine (ARCHITECTURE.md §4): an operation log plus snapshots.
export type { LogDurability, OperationLog, ReplayReport } from './operation-log.js';
export { FileLog, type FileLogOptions, type FsyncPolicy } from './file-log.js';
export { MemoryLog } from './memory-log.js';
export type { BlobFile, BlobStore } from './blob-store.js';
export { FileSource, bufferSource, sliceSource, type ByteSource } from './byte-source.js';
export { FsBlobStore } from './fs-blob-store.js';
export {
  deleteSnapshots,
  latestSnapshot,
  writeSnapshot,
  type Snapshot,
  type SnapshotState,
  type WrittenSnapshot,
} from './snapshots.js';
export {
  SnapshotFiles,
  checkSnapshotName,
  snapshotBody,
  type SnapshotDescription,
} from './snapshot-files.js';
export { storageConfigSchema, type StorageConfig } from './config.js';
