// Lint rules that catch what the compiler does not: promises nobody awaits, dead bindings, and
// type-only imports written as value imports (they keep a module loaded at run time for nothing).
// Type-aware: the rules read the TypeScript program of tsconfig.json, so every linted file is in it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'test-output/', 'bench/results/', 'bench/.scratch/'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `typeof import('x')` stays allowed: vitest's vi.mock(importOriginal) and page.evaluate types need it.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Parsed JSON bodies in tests and the CLI's API client are read field by field; `any` there is deliberate.
      '@typescript-eslint/no-explicit-any': 'off',
      // The CLI output tests match ANSI escape sequences on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
