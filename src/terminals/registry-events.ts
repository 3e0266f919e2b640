/**
 * The registry change stream: gateways and terminals added, updated or removed, emitted after their transaction
 * committed. The field layer subscribes to open and close buses.
 */
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { GatewayEntity, TerminalEntity } from './registry.entities';

export type RegistryChange =
  | { kind: 'gateway'; change: 'added' | 'updated'; gateway: GatewayEntity }
  | { kind: 'gateway'; change: 'removed'; id: number }
  | { kind: 'terminal'; change: 'added' | 'updated'; terminal: TerminalEntity }
  | { kind: 'terminal'; change: 'removed'; id: number };

@Injectable()
export class RegistryEvents implements OnModuleDestroy {
  private readonly subject = new Subject<RegistryChange>();

  get changes(): Observable<RegistryChange> {
    return this.subject.asObservable();
  }

  /** Call after the commit, never inside the transaction. */
  emit(changes: RegistryChange[]): void {
    for (const c of changes) this.subject.next(c);
  }

  onModuleDestroy(): void {
    this.subject.complete();
  }
}
