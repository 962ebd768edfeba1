/**
 * The stream consumer's cloud sign-in on AWS (KAFKA_SASL_MECHANISM=AWS_MSK_IAM, prod-aws): the
 * token callback it hands librdkafka, run with the real aws-msk-iam-sasl-signer-python of the
 * MLflow image. Signing is local (SigV4 over the pod's credentials, here static test keys), so no
 * AWS endpoint is contacted. Google's (KAFKA_OAUTH_PROVIDER=google) needs a token from Google's
 * endpoint and is not run here.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { mlflowImageEnv, mlflowImageProcessEnv } from "./support/mlflowImageEnv";

const PROGRAM = path.resolve(__dirname, "../../components/serving/streamConsumer.py");

/** Loads the consumer module in the image's interpreter and prints what kafka_properties gives for MSK IAM. */
const SIGN_IN = `
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("stream_consumer", sys.argv[1])
consumer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(consumer)
env = {"KAFKA_BOOTSTRAP_SERVERS": "b-1.msk:9098", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
       "KAFKA_SASL_MECHANISM": "AWS_MSK_IAM", "AWS_REGION": sys.argv[2]} if sys.argv[2] else {
       "KAFKA_SASL_MECHANISM": "AWS_MSK_IAM"}
props = consumer.kafka_properties(env)
token, expiry = props["oauth_cb"](None)
print(json.dumps({"mechanism": props["sasl.mechanism"], "token": token, "expiry": expiry, "now": time.time()}))
`;

function signIn(region: string) {
  const image = mlflowImageEnv();
  return spawnSync(image.python, ["-c", SIGN_IN, PROGRAM, region], {
    encoding: "utf8",
    env: mlflowImageProcessEnv(image, {
      AWS_ACCESS_KEY_ID: "AKIAMLSTACKTEST00001",
      AWS_SECRET_ACCESS_KEY: "mlstack-test-secret-key",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    }),
    timeout: 120_000,
  });
}

it("signs in to MSK with an OAUTHBEARER token that is a SigV4-presigned kafka-cluster:Connect for the pod's region", () => {
  const result = signIn("eu-west-1");
  expect(result.stderr).not.toMatch(/Traceback/);
  const out = JSON.parse(result.stdout) as { mechanism: string; token: string; expiry: number; now: number };
  expect(out.mechanism).toBe("OAUTHBEARER");
  const url = new URL(Buffer.from(out.token, "base64url").toString("utf8"));
  expect(url.host).toBe("kafka.eu-west-1.amazonaws.com");
  expect(url.searchParams.get("Action")).toBe("kafka-cluster:Connect");
  expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
  expect(url.searchParams.get("X-Amz-Credential")).toMatch(
    /^AKIAMLSTACKTEST00001\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
  );
  // librdkafka wants the expiry in seconds since the epoch (the signer returns milliseconds).
  expect(out.expiry).toBeGreaterThan(out.now);
  expect(out.expiry).toBeLessThan(out.now + 3600);
});

it("refuses MSK IAM without a region, naming the variable", () => {
  const result = signIn("");
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain("KAFKA_SASL_MECHANISM=AWS_MSK_IAM needs AWS_REGION");
});
