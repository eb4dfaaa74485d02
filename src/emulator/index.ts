/**
 * The offline Plaid emulator: a Fastify app the official `plaid` client cannot tell from Plaid's
 * Sandbox, plus controls under `/__emulator/*`. See docs/emulator.md.
 */
export { buildEmulatorApp } from './app.js';
export { EMULATOR_DEFAULT_CLIENT_ID, EMULATOR_DEFAULT_SECRET } from './options.js';
export { clockStartOf } from './core/clock.js';
export type { EmulatorOptions } from './options.js';
export { loadFixture, parseFixture, FixtureError } from './fixtures/load.js';
export type { EmulatorFixture } from './fixtures/schema.js';
export type { EmulatorRuntime } from './runtime.js';
export type { GroundTruth } from './controls/ground-truth.js';
