import { passwordProblem } from './password-policy';

describe('password policy', () => {
  it.each([
    ['short-1', 'zhangsan', /at least/],
    ['password123', 'zhangsan', /common/],
    ['Qwertyuiop!!', 'zhangsan', /common/],
    ['woaini1314520', 'zhangsan', /common/],
    ['12345678901', 'zhangsan', /common/],
    ['aaaaaaaaaaaa', 'zhangsan', /common/],
    ['ZhangSan-rocks', 'zhangsan', /username/],
  ])('refuses %s (user %s)', (password, username, why) => {
    expect(passwordProblem(password, username)).toMatch(why);
  });

  it('accepts a long, uncommon password without the username', () => {
    expect(passwordProblem('Lantern-river-42', 'zhangsan')).toBeNull();
    expect(passwordProblem('user-test-password', 'watcher1')).toBeNull();
  });
});
