import { LoginThrottle, MAX_FAILURES, WINDOW_MS } from './login-throttle';

describe('LoginThrottle', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('refuses after too many failures in the window and lets go as they age out', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(t.retryAfterSeconds('Admin', '10.0.0.1')).toBe(0);
      t.failed('admin', '10.0.0.1');
      now += 1000;
    }
    expect(t.retryAfterSeconds('ADMIN', '10.0.0.1')).toBe(WINDOW_MS / 1000 - MAX_FAILURES);
    expect(t.retryAfterSeconds('admin', '10.0.0.2')).toBe(0); // another address is not held up
    now += WINDOW_MS - MAX_FAILURES * 1000 + 1;
    expect(t.retryAfterSeconds('admin', '10.0.0.1')).toBe(0);
  });

  it('forgets failures after a success', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < MAX_FAILURES - 1; i++) t.failed('officer', 'a');
    t.succeeded('officer', 'a');
    t.failed('officer', 'a');
    expect(t.retryAfterSeconds('officer', 'a')).toBe(0);
  });

  it('keeps its table bounded', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < 10_050; i++) t.failed(`user${i}`, 'a');
    expect(t.size).toBe(10_000);
  });
});
