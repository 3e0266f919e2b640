/**
 * The OpenAPI document (/api/docs/openapi.json) describes every route a client may call: each operation has a
 * summary, every route behind the login says it answers 401, and every route that takes input (a body, a query or a
 * numeric path parameter) says it answers 400 — all with the one error body. Routes added later are walked too.
 */
import { TestApp, createTestApp } from '../support/app';

interface Parameter {
  in: string;
  name: string;
  schema?: { type?: string };
}

interface Operation {
  summary?: string;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

// POST /api/upstream/ebd: each packet is authenticated by its signature (docs/upstream.md)
const PUBLIC = new Set(['POST /api/auth/login', 'GET /health', 'POST /api/upstream/ebd']);
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

describe('OpenAPI document', () => {
  let t: TestApp;
  let operations: { key: string; op: Operation }[];

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    const doc = (await t.http.get('/api/docs/openapi.json').expect(200)).body as OpenApiDocument;
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.has(method))
        .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );
  });
  afterAll(() => t.close());

  it('lists the routes of every feature', () => {
    const keys = operations.map((o) => o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'POST /api/auth/login',
        'GET /api/users',
        'POST /api/alerts',
        'GET /api/broadcasts/{id}',
        'POST /api/terminals/{id}/test-tone',
      ]),
    );
  });

  it('gives every operation a summary', () => {
    expect(operations.filter((o) => !o.op.summary?.trim()).map((o) => o.key)).toEqual([]);
  });

  it('declares 401 on every route behind the login', () => {
    const missing = operations.filter((o) => !PUBLIC.has(o.key) && !o.op.responses['401']).map((o) => o.key);
    expect(missing).toEqual([]);
  });

  it('declares 400 on every route that takes a body, a query or a numeric path parameter', () => {
    const takesInput = (op: Operation): boolean =>
      op.requestBody !== undefined ||
      (op.parameters ?? []).some(
        (p) => p.in === 'query' || (p.in === 'path' && (p.schema?.type === 'number' || p.schema?.type === 'integer')),
      );
    const missing = operations.filter((o) => takesInput(o.op) && !o.op.responses['400']).map((o) => o.key);
    expect(missing).toEqual([]);
  });

  it('describes every error response with the one error body', () => {
    const errors = operations.flatMap((o) =>
      Object.entries(o.op.responses)
        .filter(([status]) => Number(status) >= 400 && !(o.key === 'GET /health' && status === '503'))
        .map(([status, r]) => ({
          at: `${o.key} ${status}`,
          refs: Object.values(r.content ?? {}).map((c) => c.schema?.$ref),
        })),
    );
    expect(errors.length).toBeGreaterThan(operations.length);
    const body = '#/components/schemas/ErrorBodyDto';
    expect(errors.filter((e) => e.refs.length === 0 || e.refs.some((ref) => ref !== body)).map((e) => e.at)).toEqual(
      [],
    );
  });

  it('declares 403 on routes restricted to roles', () => {
    for (const key of [
      'GET /api/users',
      'POST /api/alerts/{id}/approve',
      'POST /api/terminals/{id}/reboot',
      'GET /api/audit/verify',
    ]) {
      expect({ key, has403: operations.find((o) => o.key === key)?.op.responses['403'] !== undefined }).toEqual({
        key,
        has403: true,
      });
    }
  });
});
