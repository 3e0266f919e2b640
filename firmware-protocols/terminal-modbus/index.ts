export * from './registers';
export * from './words';
export * from './identity';
export * from './status';
export * from './command';
export * from './clips';
export * from './self-test';
export * from './held';
