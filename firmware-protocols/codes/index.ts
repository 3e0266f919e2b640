export * from './area-code';
export * from './bcd';
export * from './resource-code';
export * from './broadcast-id';
export * from './domain-codes';
export * from './priority';
export * from './terminal-model';
