import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import { FileSource, type VectorProcedures } from '../../../vector/index.js';
import { guardVector } from '../../procedures/guard.js';
import { ok } from './envelope.js';
import { multipartFile } from './multipart.js';

export interface SnapshotRouteOptions {
  /** Largest snapshot upload accepted, in bytes (vector.snapshots.maxUploadBytes). */
  readonly uploadLimitBytes: number;
  /** Where an upload is written while it is verified and restored (in the data directory). */
  readonly uploadDirectory: string;
}

interface Params {
  readonly collection_name: string;
  readonly snapshot_name?: string;
}

const tags = ['vectors (Qdrant-compatible)'];
const snapshots = '/collections/:collection_name/snapshots';

/**
 * Qdrant's collection snapshot routes. They differ from the JSON routes in two places only: a
 * download answers the file itself, and an upload takes the file as `multipart/form-data` (field
 * `snapshot`, as Qdrant's clients and curl `-F snapshot=@file` send it) or as a raw
 * `application/octet-stream` body, up to its own limit rather than server.bodyLimitBytes. An
 * upload is written to a file in the data directory and read from there, so its size is bounded
 * by the limit and the disk, not by memory.
 */
export async function registerSnapshotRoutes(
  scope: FastifyInstance,
  vectors: VectorProcedures,
  options: SnapshotRouteOptions,
): Promise<void> {
  const guarded = (request: FastifyRequest) => guardVector(vectors, request.caller);

  scope.post<{ Params: Params }>(
    snapshots,
    { schema: { summary: 'Create a collection snapshot', tags } },
    async (request, reply) =>
      ok(reply, await guarded(request).createSnapshot(request.params.collection_name)),
  );
  scope.get<{ Params: Params }>(
    snapshots,
    { schema: { summary: 'List collection snapshots', tags } },
    async (request, reply) => ok(reply, await guarded(request).listSnapshots(request.params.collection_name)),
  );
  scope.get<{ Params: Params }>(
    `${snapshots}/:snapshot_name`,
    { schema: { summary: 'Download a collection snapshot', tags } },
    async (request, reply) => {
      const name = request.params.snapshot_name ?? '';
      const file = await guarded(request).downloadSnapshot(request.params.collection_name, name);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(file.stream);
    },
  );
  scope.delete<{ Params: Params }>(
    `${snapshots}/:snapshot_name`,
    { schema: { summary: 'Delete a collection snapshot', tags } },
    async (request, reply) =>
      ok(
        reply,
        await guarded(request).deleteSnapshot(
          request.params.collection_name,
          request.params.snapshot_name ?? '',
        ),
      ),
  );
  scope.put<{ Params: Params }>(
    `${snapshots}/recover`,
    { schema: { summary: 'Recover a collection from a snapshot location', tags } },
    async (request, reply) =>
      ok(reply, await guarded(request).recoverSnapshot(request.params.collection_name, request.body)),
  );

  await scope.register(async (upload) => {
    // The body stays a stream: the upload goes to a file, never whole into memory.
    upload.addContentTypeParser(
      ['multipart/form-data', 'application/octet-stream'],
      (_request, payload, done) => {
        done(null, payload);
      },
    );
    upload.post<{ Params: Params }>(
      `${snapshots}/upload`,
      { schema: { summary: 'Recover a collection from an uploaded snapshot', tags } },
      async (request, reply) => {
        const path = await receiveUpload(request, options);
        const file = new FileSource(path);
        let result: true;
        try {
          const type = request.headers['content-type'] ?? '';
          const snapshot = type.startsWith('multipart/form-data')
            ? multipartFile(file, type, 'snapshot')
            : file;
          result = await guarded(request).uploadSnapshot(
            request.params.collection_name,
            snapshot,
            request.query,
          );
        } finally {
          file.close();
          await unlink(path).catch(() => undefined);
        }
        return ok(reply, result);
      },
    );
  });
}

/**
 * Writes the request body to a new file in the upload directory, a chunk at a time, and returns
 * its path; PAYLOAD_TOO_LARGE (and no file left) once it passes the upload limit. The snapshot is
 * a multipart form's `snapshot` field (else its only file) or the raw body.
 */
async function receiveUpload(request: FastifyRequest, options: SnapshotRouteOptions): Promise<string> {
  const body = request.body;
  if (!(body instanceof Readable)) {
    throw new StrataError(
      'UNSUPPORTED_MEDIA_TYPE',
      'send the snapshot as multipart/form-data (field "snapshot") or as application/octet-stream',
    );
  }
  const limit = options.uploadLimitBytes;
  const tooLarge = (): StrataError =>
    new StrataError(
      'PAYLOAD_TOO_LARGE',
      `the upload is larger than vector.snapshots.maxUploadBytes (${String(limit)} bytes)`,
    );
  if (Number(request.headers['content-length'] ?? 0) > limit) throw tooLarge();
  await mkdir(options.uploadDirectory, { recursive: true });
  // Dot-prefixed, as the snapshot files' own temporary files are.
  const path = join(options.uploadDirectory, `.upload-${randomBytes(8).toString('hex')}`);
  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      received += chunk.length;
      next(received > limit ? tooLarge() : null, chunk);
    },
  });
  try {
    await pipeline(body, counted, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    await unlink(path).catch(() => undefined);
    throw error;
  }
  return path;
}
