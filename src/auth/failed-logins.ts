/**
 * Failed logins in the audit, aggregated: the first failure of an account (or unknown username) from an address in a
 * window of WINDOW_MS is recorded at once (`auth.login_failed`); the further failures and refusals of that pair in the
 * window are counted here and written as one `auth.login_failed_repeated` entry when the window closes (or the server
 * stops). At most MAX_PAIRS pairs are followed one by one per window; beyond that every further failure is summed
 * into one entry for the window, so a flood grows neither memory nor the audit.
 *
 * A username that matches no account is never stored as typed (it may be a password typed into the wrong field): it
 * appears as `unknown:` and the first 12 hex digits of its HMAC under a key derived from the token-signing key, so
 * repeated tries of one name can still be told apart.
 */
import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AuditService, type AuditEntry } from '../audit/audit.service';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { WINDOW_MS } from './login-throttle';

export const MAX_PAIRS = 10_000;
const SWEEP_MS = 60_000;

export interface FailedLogin {
  /** The account tried, or null when the username matches none. */
  account: { id: number; username: string } | null;
  username: string;
  from: string | undefined;
  reason: string;
}

interface Pair {
  actor: AuditEntry['actor'];
  from: string | undefined;
  failures: number;
  refused: number;
  since: number;
  until: number;
}

@Injectable()
export class FailedLogins implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Auth');
  private readonly key: Buffer;
  private windowStart = 0;
  private pairs = new Map<string, Pair>();
  private overflow: Omit<Pair, 'actor' | 'from'> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number = Date.now;

  constructor(
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.key = createHmac('sha256', config.jwtSecret?.reveal() ?? '')
      .update('failed-login-usernames')
      .digest();
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      if (this.windowOf(this.now()) !== this.windowStart)
        this.flush().catch((e: unknown) => this.log.error(`failed-login summary not written: ${(e as Error).message}`));
    }, SWEEP_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  /** How an unknown username appears in the audit. */
  label(username: string): string {
    return `unknown:${createHmac('sha256', this.key).update(username.normalize('NFC').toLowerCase()).digest('hex').slice(0, 12)}`;
  }

  async record(f: FailedLogin, refused: boolean): Promise<void> {
    const now = this.now();
    if (this.windowOf(now) !== this.windowStart) await this.flush();
    const actor = f.account
      ? { id: f.account.id, username: f.account.username }
      : { id: null, username: this.label(f.username) };
    const key = `${actor.id ?? actor.username}\u0000${f.from ?? ''}`;
    const pair = this.pairs.get(key);
    if (pair) {
      if (refused) pair.refused += 1;
      else pair.failures += 1;
      pair.until = now;
      return;
    }
    if (this.pairs.size >= MAX_PAIRS) {
      if (this.overflow) {
        this.overflow.failures += refused ? 0 : 1;
        this.overflow.refused += refused ? 1 : 0;
        this.overflow.until = now;
        return;
      }
      this.overflow = { failures: 0, refused: 0, since: now, until: now };
      await this.audit.record({
        actor: { id: null, username: 'many' },
        action: 'auth.login_failed',
        entityType: 'user',
        after: {
          reason: `more than ${MAX_PAIRS} accounts and addresses failing in one window; the rest are summed up`,
        },
      });
      return;
    }
    this.pairs.set(key, { actor, from: f.from, failures: 0, refused: 0, since: now, until: now });
    await this.audit.record({
      actor,
      action: 'auth.login_failed',
      entityType: 'user',
      entityId: f.account?.id ?? null,
      after: { reason: f.reason, from: f.from },
    });
  }

  /** Writes the summaries of the window so far and starts a new one. */
  async flush(): Promise<void> {
    const pairs = [...this.pairs.values()].filter((p) => p.failures + p.refused > 0);
    const overflow = this.overflow;
    this.pairs = new Map();
    this.overflow = null;
    this.windowStart = this.windowOf(this.now());
    const iso = (t: number): string => new Date(t).toISOString();
    for (const p of pairs) {
      await this.audit.record({
        actor: p.actor,
        action: 'auth.login_failed_repeated',
        entityType: 'user',
        entityId: p.actor.id,
        after: { failures: p.failures, refused: p.refused, from: p.from, since: iso(p.since), until: iso(p.until) },
      });
    }
    if (overflow) {
      await this.audit.record({
        actor: { id: null, username: 'many' },
        action: 'auth.login_failed_repeated',
        entityType: 'user',
        after: {
          failures: overflow.failures,
          refused: overflow.refused,
          since: iso(overflow.since),
          until: iso(overflow.until),
        },
      });
    }
  }

  private windowOf(t: number): number {
    return Math.floor(t / WINDOW_MS) * WINDOW_MS;
  }
}
