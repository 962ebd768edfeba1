// ESLint: typescript-eslint's recommended rules plus Pulumi's plugin, which needs type
// information to catch `Output<T>` interpolated into a plain template literal (a silent
// "Calling [toString] on an [Output<T>]" string in a manifest).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["node_modules/**", "out/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // Lazy loading is deliberate here: a stack loads only its target's SDKs, `mlstack check` never
    // loads the Pulumi program, and schema validation loads one model class per kind it meets.
    files: ["stacks/index.ts", "cli/**/*.ts", "test/support/schemas.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
