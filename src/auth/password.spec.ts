import { UNUSABLE_HASH, hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('salts each hash and verifies only the right password', async () => {
    const a = await hashPassword('正确的马电池钉');
    const b = await hashPassword('正确的马电池钉');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('正确的马电池钉', a)).toBe(true);
    expect(await verifyPassword('正确的马电池钉 ', a)).toBe(false);
    expect(await verifyPassword('anything', UNUSABLE_HASH)).toBe(false);
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
  });
});
