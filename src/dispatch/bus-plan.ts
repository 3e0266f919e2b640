/**
 * The per-bus plan of a broadcast, free of Nest and the database so that the engine and the benchmarks run the same
 * code. Its rooms, in src/dispatch/bus/: the bus as the plan sees it (bus-link.ts), what a failure from the field means
 * (field-failures.ts), one bus's queue (lane.ts), transfer rounds with their retries (transfer-rounds.ts), the
 * synchronised start with its verification and retries (start-phase.ts) and the stop (stop-phase.ts).
 */
export * from './bus/bus-link';
export * from './bus/field-failures';
export * from './bus/start-phase';
export * from './bus/stop-phase';
export * from './bus/transfer-rounds';
