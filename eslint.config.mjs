// Lint does the policing (docs/architecture.md, "Rules of the house"): promise hygiene, exhaustive switches, no console
// in server and driver code, and the three-layer boundary src → device-drivers → firmware-protocols. Layout is
// Prettier's (.prettierrc); eslint-config-prettier, last, turns off the rules that would fight it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

const nodeIo = [
  'fs',
  'fs/*',
  'node:fs',
  'node:fs/*',
  'net',
  'node:net',
  'child_process',
  'node:child_process',
  'timers',
  'node:timers',
  'timers/*',
  'node:timers/*',
  'serialport',
  '@serialport/*',
  'modbus-serial',
  'dgram',
  'node:dgram',
  'http',
  'node:http',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'web/dist/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'error',
    },
  },
  {
    // one job per function: a longer one is split into named steps (specs' describe blocks aside)
    files: ['src/**/*.ts', 'device-drivers/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['firmware-protocols/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**', '**/device-drivers/**', '**/test/**'],
              message: 'firmware-protocols is the bottom layer: pure code, no imports from above.',
            },
            {
              group: ['@nestjs/*', 'typeorm', 'rxjs', 'socket.io', ...nodeIo],
              message: 'firmware-protocols is pure: no I/O, no timers, no Nest, no TypeORM.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['device-drivers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**', '**/test/**'],
              message: 'device-drivers must not import the server (src → device-drivers → firmware-protocols).',
            },
            { group: ['@nestjs/*', 'typeorm'], message: 'device-drivers knows nothing of Nest or TypeORM.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    // benchmarks run the server beside the simulator's county description, as tests do
    ignores: ['src/field/**', 'src/bench/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/device-drivers/**', '**/device-drivers'], message: 'Only src/field imports device-drivers.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', '**/bench/**/*.ts', '**/cli.ts', '**/cli/**/*.ts', 'src/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);
