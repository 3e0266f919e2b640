/**
 * The standing hostile-input suite. Every route that takes a body (found from the controllers' own metadata, so
 * routes added later are covered too) and every socket event gets generated bodies carrying one hostile element
 * somewhere — a prototype key, a control or bidi character, a number beyond any range, nesting beyond the limit,
 * wrong types and nulls — and must answer 4xx (socket: ok false) with nothing written: the audit log, which every write
 * appends to, and the main tables keep their row counts.
 */
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { NestContainer } from '@nestjs/core';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { TestApp, createTestApp } from '../support/app';
import { buildCounty } from '../registry/fixture';

interface BodyRoute {
  method: string;
  path: string;
}

function bodyRoutes(t: TestApp): BodyRoute[] {
  const out: BodyRoute[] = [];
  const container = (t.app as unknown as { container: NestContainer }).container;
  const wrappers = [...container.getModules().values()].flatMap((m) => [...m.controllers.values()]);
  for (const wrapper of wrappers) {
    const type = wrapper.metatype as (new (...a: unknown[]) => unknown) | null;
    if (!type) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
    for (const name of Object.getOwnPropertyNames(type.prototype)) {
      const handler = (type.prototype as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<string, unknown>;
      if (!Object.keys(args).some((k) => k.startsWith(`${RouteParamtypes.BODY}:`))) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:\w+/g, '1');
      out.push({ method: RequestMethod[method].toLowerCase(), path });
    }
  }
  return out;
}

const HOSTILE_CHARS = ['\u0000', '\u0007', '\u001b', '\u202e', '\u202a', '\u2066', '\u2069', '\u007f'];
const hostileString = fc
  .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...HOSTILE_CHARS), fc.string({ maxLength: 12 }))
  .map(([a, c, b]) => a + c + b);
const hugeNumber = fc.constantFrom(1e300, -1e300, 2 ** 60, -(2 ** 60), Number.MAX_VALUE);
const deep = fc.integer({ min: 17, max: 40 }).map((n) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
});
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** A plausible body with one hostile element, at the top or one level down; as JSON text (own __proto__ keys survive). */
const hostileBody = fc
  .record({
    base: fc.dictionary(
      fc.constantFrom(
        'name',
        'title',
        'code',
        'areaCode',
        'roles',
        'scopes',
        'disabled',
        'unitId',
        'volume',
        'reason',
        'targets',
      ),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    ),
    kind: fc.constantFrom('char', 'number', 'deep', 'proto'),
    key: fc.constantFrom('name', 'title', 'reason', 'text', 'volume', 'unitId', 'targets', 'x'),
    nested: fc.boolean(),
    str: hostileString,
    num: hugeNumber,
    depth: deep,
    proto: protoKey,
  })
  .map(({ base, kind, key, nested, str, num, depth, proto }) => {
    const target: Record<string, unknown> = {};
    if (kind === 'proto') Object.defineProperty(target, proto, { value: { polluted: true }, enumerable: true });
    else target[key] = kind === 'char' ? str : kind === 'number' ? num : depth;
    const body: Record<string, unknown> = { ...base };
    if (nested) body.targets = target;
    else
      for (const k of Object.keys(target))
        Object.defineProperty(body, k, { value: target[k], enumerable: true, configurable: true, writable: true });
    return JSON.stringify(body);
  });

describe('hostile input on every body route and socket event', () => {
  let t: TestApp;
  let admin: string;
  let routes: BodyRoute[];

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    routes = bodyRoutes(t);
  }, 30_000);
  afterAll(() => t.close());

  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of ['audit_log', 'users', 'areas', 'gateways', 'terminals', 'alerts', 'audio_clips']) {
      const rows = await t.dataSource
        .query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${table}`)
        .catch(() => [{ n: -1 }]);
      out[table] = Number(rows[0].n);
    }
    return out;
  };

  it('finds the body routes from the controllers', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'post /api/users',
        'patch /api/users/1',
        'post /api/regions',
        'post /api/alerts',
        'post /api/terminals',
        'post /api/auth/login',
      ]),
    );
  });

  it('answers 4xx and writes nothing, whatever the hostile body and route', async () => {
    const before = await counts();
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.nat(), hostileBody, async (i, body) => {
        const r = routes[i % routes.length];
        const res = await (t.http as unknown as Record<string, (p: string) => import('supertest').Test>)
          [r.method](r.path)
          .set(t.auth(admin))
          .set('Content-Type', 'application/json')
          .send(body);
        if (res.status < 400 || res.status >= 500) seen.push(`${r.method} ${r.path} ${res.status} ${body}`);
        return res.status >= 400 && res.status < 500;
      }),
      { numRuns: 400, seed: 18 },
    );
    expect(seen).toEqual([]);
    expect(await counts()).toEqual(before);
  }, 60_000);

  it('refuses hostile socket payloads and subscribes to nothing', async () => {
    const socket: Socket = io(`${t.baseUrl}/live`, { auth: { token: admin }, transports: ['websocket'] });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('subscribe', 'unsubscribe'), hostileBody, async (event, body) => {
          const reply = (await socket.timeout(5000).emitWithAck(event, JSON.parse(body))) as { ok: boolean };
          return reply.ok === false;
        }),
        { numRuns: 100, seed: 18 },
      );
    } finally {
      socket.close();
    }
  }, 60_000);
});
