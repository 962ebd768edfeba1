/**
 * `mlstack check` as a library: `runCheck` for the command, the pure pieces for `mlstack plan`
 * (evaluate its recorded resources, then render them as text, JSON or SARIF).
 */
export { runCheck, parseCheckArgs, USAGE, EXIT_OK, EXIT_MANDATORY, EXIT_UNUSABLE } from "./runCheck";
export type { CheckIo, CheckArgs, Format } from "./runCheck";
export { readInput, readDocument, InputError, typeToken, inferTarget } from "./documents";
export type { LoadedDocument, DocumentKind } from "./documents";
export { formatText, formatJson, summarize } from "./report";
export type { CheckReport, CheckSummary } from "./report";
export { toSarif, SARIF_TOOL_NAME } from "./sarif";
export type { SarifOptions } from "./sarif";
export { evaluate, evaluateDetailed } from "../../policies/evaluate";
export type { EvaluationResource, EvaluateOptions, EvaluationResult } from "../../policies/evaluate";
export type { PackConfig } from "../../policies/packConfig";
export type { Violation, DeferredCheck } from "../../policies/rule";
