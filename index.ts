/**
 * The `mlstack` package entry: the provider-neutral components and contracts, and the typed
 * outputs of a platform stack for the application stacks that read them through a
 * `StackReference`. Importing it registers nothing and loads no cloud SDK; the Pulumi program of
 * this repository's stacks is `stacks/program.ts`.
 */
export * from "./components/index";
export type {
  BucketOutputs,
  DatabaseOutputs,
  EnvOutput,
  FileOutput,
  KafkaOutputs,
  PlatformStackOutputs,
  SecretKeyOutput,
  TeamOutputs,
  WorkloadOutputs,
} from "./stacks/outputs";
export { PLATFORM_OUTPUTS_VERSION } from "./stacks/outputs";
