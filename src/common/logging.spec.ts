import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from './logging';

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
