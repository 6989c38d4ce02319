/**
 * The Worker the workerd render benchmark runs: `GET /render?objects=N` builds the files of the
 * N-object app of the render benchmark in memory (as a job holds a repository's tree) and
 * renders it with `lib/render`, exactly as a job on Workers does; it answers the object count,
 * the digest and how long the render took by the Worker's own clock (which, as on Cloudflare,
 * may only move on I/O: the harness measures CPU from outside).
 */
import { renderApp } from '../../lib/render/index.ts';
import { MemoryFileTree } from '../../lib/source/file-tree.ts';
import { bigAppDir, bigAppFiles } from '../render/app-files.ts';

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== '/render') return new Response('not found', { status: 404 });
    const objects = Number(url.searchParams.get('objects') ?? '10');
    const tree = new MemoryFileTree(bigAppFiles(objects));
    const started = Date.now();
    const result = await renderApp(tree, bigAppDir(objects));
    return Response.json({
      objects: result.objects.length,
      digest: result.digest,
      ms: Date.now() - started,
    });
  },
};
