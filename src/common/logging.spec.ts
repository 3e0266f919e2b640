import { Writable } from 'node:stream';
import pino from 'pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { prettyLogs, REDACTED_PATHS, REQUEST_SERIALIZERS, requestLevel } from './logging';

describe('log redaction', () => {
  it('hides authorization headers, cookies and passwords', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    log.info({
      req: { headers: { authorization: 'Bearer eyJsecret', cookie: 'sid=abc', host: 'x' } },
      password: 'hunter22',
      body: { password: 'hunter23', username: 'admin' },
      user: { passwordHash: 'scrypt$...' },
    });
    const out = lines.join('');
    for (const secret of ['eyJsecret', 'sid=abc', 'hunter22', 'hunter23', 'scrypt$']) expect(out).not.toContain(secret);
    expect(out).toContain('"username":"admin"');
    expect(out).toContain('"host":"x"');
  });
});

describe('request lines', () => {
  const res = (statusCode: number) => ({ statusCode }) as ServerResponse;
  const req = {} as IncomingMessage;

  it('are errors only for server faults: a 404 or another client mistake is not a warning', () => {
    for (const status of [200, 204, 304, 400, 401, 403, 404, 409, 413])
      expect(requestLevel(req, res(status))).toBe('info');
    expect(requestLevel(req, res(500))).toBe('error');
    expect(requestLevel(req, res(503))).toBe('error');
    expect(requestLevel(req, res(200), new Error('boom'))).toBe('error');
  });

  it('carry the method, URL and status, not the headers', () => {
    const serialized = {
      id: 'r1',
      method: 'GET',
      url: '/api/x',
      remoteAddress: '127.0.0.1',
      headers: { 'user-agent': 'curl', accept: '*/*' },
    };
    expect(REQUEST_SERIALIZERS.req(serialized)).toEqual({
      id: 'r1',
      method: 'GET',
      url: '/api/x',
      remoteAddress: '127.0.0.1',
    });
    expect(REQUEST_SERIALIZERS.res({ statusCode: 404, headers: { etag: 'x' } } as { statusCode: number })).toEqual({
      statusCode: 404,
    });
  });

  it('are readable on a terminal and JSON otherwise or when asked', () => {
    expect(prettyLogs('auto', true)).toBe(true);
    expect(prettyLogs('auto', false)).toBe(false);
    expect(prettyLogs('json', true)).toBe(false);
    expect(prettyLogs('pretty', false)).toBe(true);
  });
});
