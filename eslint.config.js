// Lint what the compiler cannot see: unused code, floating promises are left to tsc's strictness.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/', '.tap/', '.cache/', 'data/', 'coverage/', 'test-output/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The abuse desk page runs in the browser, as plain modules without a build step.
    files: ['src/api/ui/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'history', 'navigator', 'sessionStorage', 'fetch', 'URLSearchParams', 'URL', 'Blob', 'console'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
)
