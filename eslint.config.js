import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'drizzle/', 'node_modules/', 'data/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dashboard's browser code (bundled by bin/dashboard-bundle.js; its own tsconfig).
    files: ['src/dashboard/client/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Entrypoints, the CLI, benchmarks and scripts talk to a terminal on purpose.
    files: ['src/cli.ts', 'bin/**/*.js', 'bench/**/*.ts', 'scripts/**/*.ts', '.ci/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
);
