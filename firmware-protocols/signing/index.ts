export * from './sm2-sm3';
export * from './signature-block';
export * from './signer';
