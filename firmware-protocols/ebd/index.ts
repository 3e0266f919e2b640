export * from './ebd-tables';
export * from './ebd-model';
export * from './ebd-xml';
export * from './cap-tables';
export * from './cap/cap-xml';
