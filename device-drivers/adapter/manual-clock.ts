/** Moved to device-drivers/transport/clock.ts, the clock both terminal families use; kept here for existing imports. */
export { ManualClock } from '../transport/clock';
