export * from './users.js';
export * from './items.js';
export * from './accounts.js';
export * from './transactions.js';
export * from './investments.js';
export * from './liabilities.js';
export * from './sync.js';
export * from './analytics.js';
