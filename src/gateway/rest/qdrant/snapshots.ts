import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import type { VectorProcedures } from '../../../vector/index.js';
import { guardVector } from '../../procedures/guard.js';
import { ok } from './envelope.js';
import { multipartFile } from './multipart.js';

export interface SnapshotRouteOptions {
  /** Largest snapshot upload accepted, in bytes (vector.snapshots.maxUploadBytes). */
  readonly uploadLimitBytes: number;
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
 * `application/octet-stream` body, up to its own limit rather than server.bodyLimitBytes.
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
    upload.addContentTypeParser(
      ['multipart/form-data', 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: options.uploadLimitBytes },
      (_request, body, done) => {
        done(null, body);
      },
    );
    upload.post<{ Params: Params }>(
      `${snapshots}/upload`,
      {
        bodyLimit: options.uploadLimitBytes,
        schema: { summary: 'Recover a collection from an uploaded snapshot', tags },
      },
      async (request, reply) =>
        ok(
          reply,
          await guarded(request).uploadSnapshot(
            request.params.collection_name,
            await uploadedFile(request),
            request.query,
          ),
        ),
    );
  });
}

/** The snapshot's bytes from a multipart form's `snapshot` field (else its only file), or a raw body. */
async function uploadedFile(request: FastifyRequest): Promise<Uint8Array> {
  const body = request.body;
  if (!Buffer.isBuffer(body)) {
    throw new StrataError(
      'UNSUPPORTED_MEDIA_TYPE',
      'send the snapshot as multipart/form-data (field "snapshot") or as application/octet-stream',
    );
  }
  const type = request.headers['content-type'] ?? '';
  return type.startsWith('multipart/form-data') ? multipartFile(body, type, 'snapshot') : body;
}
