export * from './connection';
export * from './errors';
export * from './mapping';
export * from './clip-transfer';
export * from './modbus-terminal-bus';
export * from './signed-blocks';
