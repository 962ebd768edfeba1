// ESLint: typescript-eslint's recommended rules plus Pulumi's plugin, which needs type
// information to catch `Output<T>` interpolated into a plain template literal (a silent
// "Calling [toString] on an [Output<T>]" string in a manifest).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

// Imports point one way: stacks → components, never back (DESIGN.md, "The layers"). Inside
// components/, a component may import from a sibling folder only what is meant to be shared:
// contracts, settings types, the Kubernetes helpers in kube/, and the few building blocks other
// components compose (listed with why). Anything else is a sibling's implementation detail.
const SHARED_COMPONENT_MODULES = [
  "kube/[^/]+",
  "[a-z]+/contract",
  "[a-z]+/settings",
  "[a-z]+/[a-zA-Z]+Settings",
  // Components other components are built from.
  "pki/CertificateAuthority",
  "namespace/TeamNamespace",
  "kms/aws",
  "kms/gcp",
  // Each cloud's identity API, through which that cloud's backends grant a workload access.
  "identity/awsAccount",
  "identity/irsa",
  "identity/workloadIdentity",
  "identity/workloadIdentityEgress",
  // The version table: every component reads its pinned versions and images from it.
  "versions/pins",
];
// The cloud SDKs are imported by submodule (`@pulumi/aws/iam`, `@pulumi/gcp/storage`, the provider
// from `@pulumi/aws/provider`), never at the root: a root import makes tsc and type-aware ESLint read
// every service the provider has (@pulumi/aws 7.48: 0.70M lines of .d.ts, @pulumi/gcp 9.37: 0.86M).
// Measured on this repository: 7,014 files / 1.84M lines / 1.2 GB for `tsc` with the roots, 2,664 /
// 0.90M / 0.8 GB by submodule. Same classes, type tokens and package versions: the plans are identical.
const CLOUD_SDK_ROOTS = ["@pulumi/aws", "@pulumi/gcp"].map((name) => ({
  name,
  message: `import the submodule you use ("${name}/<service>", "${name}/provider"), not the root: the root declares every service of the provider and costs tsc and type-aware ESLint a million lines of declarations.`,
}));

export const componentLayering = [
  "error",
  {
    paths: CLOUD_SDK_ROOTS,
    patterns: [
      {
        regex: "(^|/)(stacks|cli)(/|$)",
        message:
          "components/ must not import the stack layer or the CLI: imports point down (stacks → components). Move what both need into components/.",
      },
      {
        regex: `^\\.{1,2}/(?!(?:${SHARED_COMPONENT_MODULES.join("|")})$)[a-z]+/[^/]+$`,
        message:
          "a component may import a sibling folder's contract, settings or the shared kube/ helpers, not its implementation files.",
      },
    ],
  },
];

export default tseslint.config(
  { ignores: ["node_modules/**", "out/**", "dist/**", ".cache/**", "**/*.js", "**/*.mjs"] },
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
      "no-restricted-imports": ["error", { paths: CLOUD_SDK_ROOTS }],
    },
  },
  {
    files: ["components/**/*.ts"],
    rules: { "no-restricted-imports": componentLayering },
  },
  {
    // The package entry points (package.json `exports`) re-export every component's public API;
    // they still must not reach up into the stack layer or the CLI.
    files: ["components/{index,kubernetes,openshift,aws,gcp}.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: CLOUD_SDK_ROOTS, patterns: [componentLayering[1].patterns[0]] },
      ],
    },
  },
  {
    // Lazy loading is deliberate here: a stack loads only its target's SDKs, `mlstack check` never
    // loads the Pulumi program, and schema validation loads one model class per kind it meets.
    files: ["stacks/index.ts", "cli/**/*.ts", "test/support/schemas.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
