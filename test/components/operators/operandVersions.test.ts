import { problemsOf } from "../../../components/argumentProblem";
import { validateOperandVersions } from "../../../components/operators/operandVersions";
import { PINS, POSTGRES_IMAGES, STRIMZI_RELEASES, strimziRelease } from "../../../components/versions/pins";

const strimzi = (over: Partial<{ version: string; kafkaVersion: string; apiVersion: string }> = {}) => ({
  version: PINS.strimziChart.version,
  kafkaVersion: PINS.kafka.version,
  apiVersion: "kafka.strimzi.io/v1",
  ...over,
});
const cnpg = (over: Partial<{ chartVersion: string; postgresMajor: number }> = {}) => ({
  chartVersion: PINS.cloudnativePgChart.version,
  postgresMajor: POSTGRES_IMAGES.defaultMajor,
  ...over,
});

describe("validateOperandVersions", () => {
  it("accepts the pinned operators with their default operands", () => {
    expect(problemsOf(() => validateOperandVersions({ strimzi: strimzi(), cloudnativePg: cnpg() }))).toEqual(
      [],
    );
  });

  it("pins a default Kafka the pinned Strimzi runs", () => {
    expect(strimziRelease(PINS.strimziChart.version)?.kafkaVersions).toContain(PINS.kafka.version);
  });

  it("refuses a Kafka version the pinned Strimzi does not run, naming the supported ones", () => {
    expect(
      problemsOf(() => validateOperandVersions({ strimzi: strimzi({ kafkaVersion: "4.1.0" }) })),
    ).toEqual([
      {
        arg: "kafka.version",
        value: "4.1.0",
        allowed: "is not run by Strimzi 1.2.0; supported Kafka versions: 4.2.0, 4.2.1, 4.3.0, 4.3.1",
      },
    ]);
  });

  it("refuses Kafka 4.3.1 on Strimzi 1.1.0, which stops at 4.3.0", () => {
    const [problem] = problemsOf(() =>
      validateOperandVersions({ strimzi: strimzi({ version: "1.1.0", kafkaVersion: "4.3.1" }) }),
    );
    expect(problem.arg).toBe("kafka.version");
    expect(problem.allowed).toContain("4.2.0, 4.2.1, 4.3.0");
  });

  it("refuses the v1beta2 API, which Strimzi 1.x no longer serves", () => {
    const [problem] = problemsOf(() =>
      validateOperandVersions({ strimzi: strimzi({ apiVersion: "kafka.strimzi.io/v1beta2" }) }),
    );
    expect(problem).toMatchObject({ arg: "kafka.apiVersion", value: "kafka.strimzi.io/v1beta2" });
    expect(problem.allowed).toContain("served: kafka.strimzi.io/v1");
  });

  it("refuses a Strimzi release whose Kafka matrix is unknown (0.49.0 is out of support)", () => {
    const [problem] = problemsOf(() => validateOperandVersions({ strimzi: strimzi({ version: "0.49.0" }) }));
    expect(problem.arg).toBe("operators.strimzi.version");
    expect(problem.allowed).toContain(STRIMZI_RELEASES.map((r) => r.version).join(", "));
  });

  it("accepts a v-prefixed Strimzi version", () => {
    expect(problemsOf(() => validateOperandVersions({ strimzi: strimzi({ version: "v1.2.0" }) }))).toEqual(
      [],
    );
  });

  it("refuses a CloudNativePG chart whose operator mlstack does not know, naming the known ones", () => {
    const [problem] = problemsOf(() =>
      validateOperandVersions({ cloudnativePg: cnpg({ chartVersion: "0.30.5" }) }),
    );
    expect(problem).toMatchObject({ arg: "operators.cloudnativePg.version", value: "0.30.5" });
    expect(problem.allowed).toContain("supported: 0.29.1");
  });

  it("refuses a PostgreSQL major the pinned CloudNativePG does not run", () => {
    const [problem] = problemsOf(() =>
      validateOperandVersions({ cloudnativePg: cnpg({ postgresMajor: 13 }) }),
    );
    expect(problem).toMatchObject({ arg: "postgres.version", value: 13 });
    expect(problem.allowed).toContain("supported PostgreSQL majors: 14, 15, 16, 17, 18");
  });
});
