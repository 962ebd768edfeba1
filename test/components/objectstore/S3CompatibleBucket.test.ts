import {
  assertS3BucketName,
  isClusterServiceHost,
  parseS3Endpoint,
  physicalBucketName,
} from "../../../components/objectstore/S3CompatibleBucket";

describe("physicalBucketName", () => {
  it("joins project, stack and logical name", () => {
    expect(physicalBucketName("mlstack", "prod", "fraud-models")).toBe("mlstack-prod-fraud-models");
  });

  it("reduces stack names to S3's alphabet", () => {
    expect(physicalBucketName("ML_Stack", "Prod.EU__1", "fraud-models")).toBe(
      "ml-stack-prod-eu-1-fraud-models",
    );
  });

  it("is unique per stack", () => {
    expect(physicalBucketName("mlstack", "dev", "artifacts")).not.toBe(
      physicalBucketName("mlstack", "staging", "artifacts"),
    );
  });

  it("shortens long names to 63 characters with a hash that keeps them distinct", () => {
    const long = "a-very-long-logical-bucket-name-that-goes-on-and-on";
    const one = physicalBucketName("platform-project", "production-eu-west", long);
    const two = physicalBucketName("platform-project", "production-eu-east", long);
    expect(one).toHaveLength(63);
    expect(one).toMatch(/^platform-project-production-eu-west-a-very-long-.*-[0-9a-f]{8}$/);
    expect(one).not.toBe(two);
    expect(() => assertS3BucketName(one, "test")).not.toThrow();
  });

  it("never starts with a prefix S3 reserves", () => {
    expect(physicalBucketName("sthree", "x", "y")).toBe("b-sthree-x-y");
  });
});

describe("assertS3BucketName", () => {
  it.each([
    ["ab", "3 to 63"],
    ["Upper", "3 to 63"],
    ["with.dot", "3 to 63"],
    ["-leading", "3 to 63"],
    ["xn--punycode", "xn--"],
    ["bucket-s3alias", "-s3alias"],
  ])("rejects %s", (name, why) => {
    expect(() => assertS3BucketName(name, "test")).toThrow(why);
  });
});

describe("parseS3Endpoint", () => {
  it("reads scheme, host and port, defaulting the port by scheme", () => {
    expect(parseS3Endpoint("https://s3.openshift-storage.svc", "t")).toEqual({
      url: "https://s3.openshift-storage.svc",
      https: true,
      host: "s3.openshift-storage.svc",
      port: 443,
    });
    expect(parseS3Endpoint("http://rgw.rook-ceph.svc:8080/", "t")).toEqual({
      url: "http://rgw.rook-ceph.svc:8080",
      https: false,
      host: "rgw.rook-ceph.svc",
      port: 8080,
    });
  });

  it("refuses paths, credentials and other schemes", () => {
    expect(() => parseS3Endpoint("https://s3.example.com/bucket", "t")).toThrow(
      "without path, query or credentials",
    );
    expect(() => parseS3Endpoint("https://key:secret@s3.example.com", "t")).toThrow(
      "without path, query or credentials",
    );
    expect(() => parseS3Endpoint("ftp://s3.example.com", "t")).toThrow("must use http or https");
    expect(() => parseS3Endpoint("s3.example.com", "t")).toThrow("is not a URL");
  });

  it("tells cluster Service names from external hosts", () => {
    expect(isClusterServiceHost("s3.openshift-storage.svc")).toBe(true);
    expect(isClusterServiceHost("s3.openshift-storage.svc.cluster.local")).toBe(true);
    expect(isClusterServiceHost("s3.example.com")).toBe(false);
  });
});
