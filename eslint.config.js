// @ts-check
// Type-aware lint of everything the type check covers (`npm run lint`, part of `npm test`).
// Layout is Prettier's (prettier.config.js, `npm run format:check`): no stylistic rule is on here
// (neither eslint's recommended nor typescript-eslint's strictTypeChecked has one), so the two
// never disagree; a stylistic rule added later would have to agree with Prettier.
import eslint from '@eslint/js'
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

export default defineConfig(
  // Generated or written by runs, not sources.
  {
    ignores: [
      'dist/',
      'docs/api/',
      '.api-extractor/',
      'coverage/',
      '.reports/',
      '.bed/',
      'chaos-out/',
      'soak-out/',
      'docs-check-out/',
      'scratch/',
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed: a parameter an interface or callback signature requires but this
      // implementation does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Off: the async functions without an await here implement a Promise-returning contract
      // (kafkajs' eachMessage/eachBatch/restartOnFailure, fakes of kafkajs clients in tests, public
      // methods such as subscribe() whose failures must be rejections, not synchronous throws).
      // Rewriting them without `async` would turn those rejections into throws. A promise that is
      // not awaited is what no-floating-promises and no-misused-promises catch.
      '@typescript-eslint/require-await': 'off',
      // Off: with noUncheckedIndexedAccess, `!` marks an index read known to be in range (after a
      // length or has() check); the type check already covers the rest.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: it flags the runtime checks that must stay: a state read again after an await (which
      // narrowing does not see) and validation of decoded records and of JavaScript callers' input.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Off: style only (`() => resolve()` and the like); not a correctness rule.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Off: the declarations of kafkajs and Node say `boolean` where the value may be undefined at
      // run time (a WriteStream's isTTY on a pipe); `=== true` and `!== false` there are meant.
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'off',
      // Off: it reports a return type the caller chooses (`expectFunction<F>()`, a test's
      // `json<T>()`), where an `as` at every call would say the same with less checking.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      // Passing on a rejection as it came (an abort signal's reason, a caught `unknown`) is meant;
      // a literal that is not an Error is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Numbers, booleans and nullish values in messages are meant (recommendedTypeChecked's
      // options); objects that would print as [object Object] are still reported.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: true, allowBoolean: true, allowNullish: true, allowNumber: true, allowRegExp: true },
      ],
    },
  },
  {
    // Tests feed JavaScript callers' malformed input (`as any`), build partial fakes of kafkajs
    // clients and classes, and pass vitest mocks' methods to expect(): the type-safety rules
    // below would report exactly that. The promise rules stay on.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (this file, .ci/summary.mjs): not in tsconfig.json, so linted without types.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
)
