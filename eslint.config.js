// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', 'coverage/', 'test-results/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Lambda bundles: a named import of zod (Powertools' parser schemas make one too) keeps all of
    // zod, its locales included, in every bundle; a namespace import lets esbuild drop what is unused.
    files: ['functions/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[importKind='value'][source.value='zod'] > ImportSpecifier[importKind='value']",
          message: "Use `import * as z from 'zod'`: a named import keeps all of zod in the Lambda bundle (npm run bench, bundle_kb).",
        },
        {
          selector: "ImportDeclaration[importKind='value'][source.value=/^@aws-lambda-powertools\\/parser\\/schemas/]",
          message: 'Powertools parser schemas import zod whole; write the edge schema with `import * as z from \'zod\'` (see functions/handlers/ses-event.ts).',
        },
      ],
    },
  },
  {
    // The domain stays pure: no SDKs, no environment, no wall clock.
    files: ['functions/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', '@googleapis/*', 'googleapis', '**/adapters/**', 'mailparser', 'nodemailer'] }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Pass configuration in; the domain never reads the environment.' },
        { object: 'Date', property: 'now', message: 'Inject a clock.' },
      ],
    },
  },
);
