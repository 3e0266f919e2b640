/**
 * The HTTP surface every feature shares: what is public (GET /health, GET /metrics, the OpenAPI docs under /api/docs,
 * POST /api/auth/login) and that every other route — including routes added later by any module — answers 401 without
 * a token; request ids; metrics; the error body.
 */
import { TestApp, createTestApp } from '../support/app';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

// POST /api/upstream/ebd authenticates each packet by its SM2 signature (test/upstream/ebd.test.ts), not by a login
const PUBLIC = new Set(['GET /health', 'GET /metrics', 'POST /api/auth/login', 'POST /api/upstream/ebd']);
const isDocs = (path: string): boolean => path.startsWith('/api/docs');
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

function routes(t: TestApp): { method: string; path: string }[] {
  const express = t.app.getHttpAdapter().getInstance() as unknown as { router: { stack: RouteLayer[] } };
  return express.router.stack
    .filter((l): l is Required<RouteLayer> => l.route !== undefined)
    .filter((l) => l.route.path !== '/{*path}') // the not-found handler
    .flatMap((l) => Object.keys(l.route.methods).map((m) => ({ method: m.toUpperCase(), path: l.route.path })))
    .filter((r) => METHODS.has(r.method));
}

describe('HTTP surface', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(() => t.close());

  it('answers 401 without a token on every route except the public ones', async () => {
    const all = routes(t);
    expect(all.length).toBeGreaterThan(5);
    const guarded = all.filter((r) => !PUBLIC.has(`${r.method} ${r.path}`) && !isDocs(r.path));
    expect(guarded.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /api/users', 'GET /api/audit/verify']),
    );
    const answers: string[] = [];
    for (const r of guarded) {
      const path = r.path.replace(/:(\w+)/g, '1').replace(/\{?\*\w+\}?/g, 'x');
      const res = await t.http[r.method.toLowerCase() as 'get'](path).send({});
      answers.push(`${r.method} ${r.path} → ${res.status}`);
    }
    expect(answers.filter((a) => !a.endsWith('→ 401'))).toEqual([]);
  });

  it('serves health, metrics and the OpenAPI document without a token', async () => {
    const health = await t.http.get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    // which tool and version serve audio and speech: on a machine with only Node, the npm-shipped ones
    expect(health.body.info.audio).toMatchObject({
      status: 'up',
      ffmpeg: {
        available: true,
        version: expect.stringMatching(/^ffmpeg version /),
        origin: 'npm @ffmpeg-installer/ffmpeg',
      },
      ffprobe: {
        available: true,
        version: expect.stringMatching(/^ffprobe version /),
        origin: 'npm @ffprobe-installer/ffprobe',
      },
      speech: {
        available: true,
        version: expect.stringMatching(/^eSpeak NG compiled to WebAssembly \(@echogarden\/espeak-ng-emscripten \d/),
        origin: expect.stringMatching(/^npm @echogarden/),
      },
    });
    const metrics = await t.http.get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('dalaba_process_cpu_seconds_total');
    expect(metrics.text).toMatch(
      /dalaba_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} \d+/,
    );
    const docs = await t.http.get('/api/docs/openapi.json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/users', '/api/audit']),
    );
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    const given = await t.http.get('/health').set('x-request-id', 'trace-42').expect(200);
    expect(given.headers['x-request-id']).toBe('trace-42');
    const made = await t.http.get('/health').set('x-request-id', 'bad id with spaces').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes and malformed JSON with the one error body', async () => {
    const token = await t.adminToken();
    const missing = await t.http.get('/api/no-such-thing').set(t.auth(token)).expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'not_found' });
    const malformed = await t.http
      .post('/api/auth/login')
      .set('content-type', 'application/json')
      .send('{"username":')
      .expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, code: 'bad_request' });
    expect(malformed.headers['x-powered-by']).toBeUndefined();
  });
});
