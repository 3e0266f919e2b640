import { LoginThrottle, MAX_ADDRESS_FAILURES, MAX_FAILURES, WINDOW_MS } from './login-throttle';

describe('LoginThrottle', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 10 * WINDOW_MS;
  });

  it('refuses after too many failures of one account from one address, and lets go as they age out', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect(t.retryAfterSeconds('Admin', '10.0.0.1')).toBe(0);
      t.failed('admin', '10.0.0.1');
      now += 1000;
    }
    const wait = t.retryAfterSeconds('ADMIN', '10.0.0.1');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual((2 * WINDOW_MS) / 1000);
    expect(t.retryAfterSeconds('admin', '10.0.0.2')).toBe(0); // another address is not held up
    now += wait * 1000;
    expect(t.retryAfterSeconds('admin', '10.0.0.1')).toBe(0);
  });

  it('forgets an account’s failures after a success, but not its address’s', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < MAX_FAILURES - 1; i++) t.failed('officer', 'a');
    t.succeeded('officer', 'a');
    t.failed('officer', 'a');
    expect(t.retryAfterSeconds('officer', 'a')).toBe(0);
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) t.failed(`x${i}`, 'b');
    t.succeeded('x0', 'b');
    expect(t.retryAfterSeconds('x0', 'b')).toBeGreaterThan(0);
  });

  it('counts an IPv6 address by its /64', () => {
    const t = new LoginThrottle(clock);
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) t.failed(`y${i}`, `2001:db8:1:2::${i.toString(16)}`);
    expect(t.retryAfterSeconds('someone', '2001:db8:1:2:ffff::1')).toBeGreaterThan(0);
    expect(t.retryAfterSeconds('someone', '2001:db8:1:3::1')).toBe(0);
  });
});
