// Directory fsync lives in the kernel, shared with the security context's files.
export { syncDirectory as fsyncDirectory } from '../../kernel/index.js';

export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
