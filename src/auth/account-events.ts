/**
 * Announces, after commit, that an account's sessions ended (disabled, re-enabled, narrowed, password reset): holders
 * of long-lived connections (the live channel) drop that account's connections at once instead of waiting for the
 * next request.
 */
import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

export interface SessionsRevoked {
  userId: number;
  reason: string;
}

@Injectable()
export class AccountEvents {
  readonly revoked = new Subject<SessionsRevoked>();
}
