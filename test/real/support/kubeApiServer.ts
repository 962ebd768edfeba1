/**
 * A real Kubernetes control plane for the tests, with no node: etcd and kube-apiserver (built by
 * kubeBinaries.ts) on loopback at free ports in a temp folder, and kubectl talking to it through
 * a kubeconfig of its own. It admits, validates and defaults exactly as a cluster's API server
 * does (CRD structural schemas and CEL rules, Pod Security admission, RBAC), which is what a
 * server-side dry run of mlstack's manifests needs; nothing runs pods.
 *
 * Certificates: one throwaway CA (openssl) signs the serving certificate (IP 127.0.0.1) and an
 * admin client certificate in `system:masters`; the service-account token signer is its own key.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { LOOPBACK, freePort } from "./ports";
import { requireCommand } from "./prerequisites";
import { RunningProcess, startProcess, waitUntil } from "./processes";
import { KubeBinaries } from "./kubeBinaries";

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  url: string;
  kubeconfig: string;
  dir: string;
  /** Runs kubectl against this server only (its own kubeconfig, no context from $HOME). */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  stop(): Promise<void>;
}

// The `kubectl` package of the Google Cloud SDK apt repository (what this machine has installed).
const KUBECTL_DEBIAN_PACKAGE = "kubectl";

function openssl(args: string[], cwd: string): void {
  execFileSync(requireCommand("openssl", "openssl"), args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function writeCertificates(dir: string): void {
  const day = "1";
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt"].concat([
      "-days",
      day,
      "-subj",
      "/CN=mlstack-test-ca",
    ]),
    dir,
  );
  const leaf = (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(
      [
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        subject,
      ],
      dir,
    );
    openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"].concat([
        "-out",
        `${name}.crt`,
        "-days",
        day,
        "-extfile",
        `${name}.ext`,
      ]),
      dir,
    );
  };
  leaf(
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  // system:masters is bound to cluster-admin by the API server's bootstrap RBAC policy.
  leaf(
    "admin",
    "/O=system:masters/CN=mlstack-test-admin",
    "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n",
  );
  openssl(["genrsa", "-out", "service-account.key", "2048"], dir);
  openssl(["rsa", "-in", "service-account.key", "-pubout", "-out", "service-account.pub"], dir);
}

function kubeconfigFor(dir: string, url: string): string {
  const file = path.join(dir, "kubeconfig");
  const b64 = (name: string) => fs.readFileSync(path.join(dir, name)).toString("base64");
  fs.writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: test\n  cluster:\n    server: ${url}\n    certificate-authority-data: ${b64("ca.crt")}`,
      "users:",
      `- name: admin\n  user:\n    client-certificate-data: ${b64("admin.crt")}\n    client-key-data: ${b64("admin.key")}`,
      "contexts:",
      "- name: test\n  context:\n    cluster: test\n    user: admin",
      "current-context: test",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return file;
}

function httpsGet(url: string, dir: string): Promise<{ status: number; body: string }> {
  const read = (name: string) => fs.readFileSync(path.join(dir, name));
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: read("ca.crt"), cert: read("admin.crt"), key: read("admin.key"), timeout: 5000 },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.on("timeout", () => request.destroy(new Error("timed out")));
  });
}

async function startEtcd(
  binaries: KubeBinaries,
  dir: string,
): Promise<{ process: RunningProcess; url: string }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const url = `http://${LOOPBACK}:${clientPort}`;
  const peer = `http://${LOOPBACK}:${peerPort}`;
  const server = startProcess(
    binaries.etcd,
    [
      "--name=test",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      // A throwaway store: skipping fsync makes CRD installs several times faster on a busy disk.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    { logFile: path.join(dir, "etcd.log") },
  );
  await waitUntil(
    "etcd /health",
    async () => {
      const response = await fetch(`${url}/health`);
      return response.ok ? true : undefined;
    },
    120_000,
    250,
    server,
  );
  return { process: server, url };
}

export async function startKubeApiServer(binaries: KubeBinaries): Promise<KubeApiServer> {
  const kubectlPath = requireCommand("kubectl", KUBECTL_DEBIAN_PACKAGE);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlstack-kube-"));
  writeCertificates(dir);
  const etcd = await startEtcd(binaries, dir);
  const port = await freePort();
  const url = `https://${LOOPBACK}:${port}`;
  const apiserver = startProcess(
    binaries.kubeApiServer,
    [
      `--etcd-servers=${etcd.url}`,
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, "generated-certs")}`,
      `--tls-cert-file=${path.join(dir, "apiserver.crt")}`,
      `--tls-private-key-file=${path.join(dir, "apiserver.key")}`,
      `--client-ca-file=${path.join(dir, "ca.crt")}`,
      `--service-account-key-file=${path.join(dir, "service-account.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "service-account.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=RBAC",
      // Added to the defaults (which already hold PodSecurity since 1.25): named so the tests'
      // reliance on it is visible. No cloud provider, no kubelet: nothing here runs a pod.
      "--enable-admission-plugins=PodSecurity",
      // The `kubernetes` Service's endpoint must not be a loopback address, and nothing here needs
      // it: no pod reaches the API server through the Service.
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      "--v=1",
    ],
    { logFile: path.join(dir, "kube-apiserver.log") },
  );
  try {
    await waitUntil(
      "kube-apiserver /readyz",
      async () => {
        const response = await httpsGet(`${url}/readyz`, dir);
        return response.status === 200 ? true : undefined;
      },
      180_000,
      500,
      apiserver,
    );
  } catch (error) {
    await apiserver.stop(5000);
    await etcd.process.stop(5000);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const kubeconfig = kubeconfigFor(dir, url);
  const kubectl = (args: string[], input?: string) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn(kubectlPath, [`--kubeconfig=${kubeconfig}`, ...args], {
        // No $HOME config, no cached discovery from other clusters, no gcloud auth plugins.
        env: { PATH: process.env.PATH ?? "", HOME: dir, KUBECONFIG: kubeconfig },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
  return {
    url,
    kubeconfig,
    dir,
    kubectl,
    async stop() {
      await apiserver.stop(10_000);
      await etcd.process.stop(10_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
