/**
 * Broadcast runs holding buses against tone provisioning (tone-provisioning.ts): a held bus takes no provisioning
 * frame until every hold on it is released.
 */
export class ProvisioningHolds {
  /** gateway → broadcast runs holding it */
  private readonly holds = new Map<number, number>();
  private readonly waiting = new Map<number, (() => void)[]>();

  /** One more hold on the gateway's bus. */
  add(gatewayId: number): void {
    this.holds.set(gatewayId, (this.holds.get(gatewayId) ?? 0) + 1);
  }

  /** One hold on the gateway's bus released; the last one wakes whatever waits for the bus. */
  release(gatewayId: number): void {
    const n = (this.holds.get(gatewayId) ?? 1) - 1;
    if (n > 0) {
      this.holds.set(gatewayId, n);
      return;
    }
    this.holds.delete(gatewayId);
    for (const wake of this.waiting.get(gatewayId) ?? []) wake();
    this.waiting.delete(gatewayId);
  }

  has(gatewayId: number): boolean {
    return this.holds.has(gatewayId);
  }

  /** Resolves when the last hold on the gateway's bus is released (or wakeAll). */
  released(gatewayId: number): Promise<void> {
    return new Promise<void>((wake) => this.waiting.set(gatewayId, [...(this.waiting.get(gatewayId) ?? []), wake]));
  }

  /** Wakes everything that waits (shutdown). */
  wakeAll(): void {
    for (const wake of [...this.waiting.values()].flat()) wake();
    this.waiting.clear();
  }
}
