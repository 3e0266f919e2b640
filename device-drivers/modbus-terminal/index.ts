export * from './connection';
export * from './errors';
export * from './mapping';
export * from './clip-repair-plan';
export * from './clip-transfer';
export * from './clip-wire';
export * from './modbus-terminal-bus';
export * from './signed-blocks';
