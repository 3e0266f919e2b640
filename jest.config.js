// Two projects: unit specs beside the code (fast, no I/O beyond loopback and temp files),
// integration and end-to-end suites in test/ (real SQLite, MariaDB, serial pairs, simulator).
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }],
};
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // a suite that starts servers (two apps, demo data, MariaDB) on a loaded two-core machine may need more than Jest's
  // 5 s; this is a safety net for hangs, not a speed goal (those live in the benchmarks)
  testTimeout: 30_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/device-drivers', '<rootDir>/firmware-protocols'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
