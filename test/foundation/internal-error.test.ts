import { createTestApp } from '../support/app';

describe('unexpected errors', () => {
  it('answer 500 with the request id as correlation id and no internals', async () => {
    const t = await createTestApp({ database: 'sqlite' });
    try {
      const token = await t.adminToken();
      await t.dataSource.destroy(); // the database goes away under the server
      const res = await t.http.get('/api/users').set(t.auth(token)).set('x-request-id', 'corr-1234').expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        code: 'internal_error',
        message: 'internal error; quote correlation id corr-1234',
        details: { correlationId: 'corr-1234' },
      });
      expect(res.headers['x-request-id']).toBe('corr-1234');
      const health = await t.http.get('/health').expect(503);
      expect(health.body).toMatchObject({ statusCode: 503, code: 'unavailable', details: { status: 'error' } });
    } finally {
      await t.close();
    }
  });
});
