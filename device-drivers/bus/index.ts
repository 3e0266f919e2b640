export * from './backoff';
export * from './connection';
export * from './scheduler';
export * from './sweeper';
