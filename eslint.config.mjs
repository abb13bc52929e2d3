// Lint runs as part of `npm test`; typed rules catch the promise mistakes that bite workflow and activity code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node I/O, no wall clock outside the SDK.
    files: ['workflows/**/*.ts'],
    // Client-side helpers live beside the workflows they start, outside the bundle.
    ignores: ['workflows/worker.ts', 'workflows/campaigns/lifecycle.ts', 'workflows/activation/activation-lifecycle.ts', 'workflows/schedules.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'net', 'http', 'https', 'crypto', 'child_process'], message: 'Workflow code must stay deterministic: no Node I/O.' },
          { group: ['@mikro-orm/*', 'stripe', '@sendgrid/*', '@temporalio/client', '@temporalio/worker'], message: 'Workflows reach side effects only through activities.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
