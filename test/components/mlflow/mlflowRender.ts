/** Render helpers shared by the Mlflow.*.test.ts files. */
import * as pulumi from "@pulumi/pulumi";
import { Mlflow, MlflowArgs } from "../../../components/mlflow/Mlflow";
import { render, Rendered } from "../../support/render";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered inputs are untyped JSON */

export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const SERVICE = "kubernetes:core/v1:Service";
export const SECRET = "kubernetes:core/v1:Secret";
export const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
export const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
export const ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";

export interface RenderedMlflow {
  rendered: Rendered;
  component: Mlflow;
  deployment: any;
  pod: any;
  container(name: string): any;
  env(container: string): Record<string, any>;
}

export async function renderMlflow(args: MlflowArgs, name = "mlflow"): Promise<RenderedMlflow> {
  let component: Mlflow | undefined;
  const rendered = await render(() => {
    component = new Mlflow(name, args);
  });
  const deployment = rendered.inputs(rendered.one(DEPLOYMENT));
  const pod = deployment.spec.template.spec;
  const container = (n: string) => {
    const found = pod.containers.find((c: any) => c.name === n);
    if (!found) throw new Error(`no container ${n}`);
    return found;
  };
  return {
    rendered,
    component: component as Mlflow,
    deployment,
    pod,
    container,
    env: (n: string) => Object.fromEntries(container(n).env.map((e: any) => [e.name, e])),
  };
}

export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Every env entry of every container that carries a literal value. */
export function literalEnv(pod: any): Array<{ name: string; value: string }> {
  return pod.containers.flatMap((c: any) => (c.env ?? []).filter((e: any) => e.value !== undefined));
}

export const SECRET_LIKE = /(PASSWORD|SECRET|TOKEN|(^|_)KEY($|_)|DATABASE_URL)/i;
