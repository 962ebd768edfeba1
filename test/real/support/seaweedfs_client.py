"""S3 calls against the SeaweedFS the real-process test started, made with boto3 (the client MLflow
and the serving runtimes use): each check is one call with one key pair (or none: unsigned), and
the result is whether it succeeded and, if not, the S3 error code the server answered with.

Usage: python seaweedfs_client.py '<json>'  where json is
  {"endpoint": ..., "region": ..., "checks": [{"label", "accessKey", "secretKey", "bucket", "op", "key"}]}
op: put | get | list | delete. accessKey null: an anonymous (unsigned) request.
Prints a JSON list of {"label", "ok", "code", "body"} to stdout.
"""
import json
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


def client(endpoint, region, access_key, secret_key):
    if access_key is None:
        config = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}, retries={"max_attempts": 1})
        return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config)
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


def run(check, endpoint, region):
    s3 = client(endpoint, region, check.get("accessKey"), check.get("secretKey"))
    bucket, key, op = check["bucket"], check.get("key", "probe.txt"), check["op"]
    try:
        body = None
        if op == "put":
            s3.put_object(Bucket=bucket, Key=key, Body=check.get("body", "x").encode())
        elif op == "get":
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        elif op == "list":
            body = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        elif op == "delete":
            s3.delete_object(Bucket=bucket, Key=key)
        else:
            raise ValueError(f"unknown op {op}")
        return {"label": check["label"], "ok": True, "code": None, "body": body}
    except ClientError as error:
        return {"label": check["label"], "ok": False, "code": error.response["Error"]["Code"], "body": None}


def main():
    spec = json.loads(sys.argv[1])
    print(json.dumps([run(c, spec["endpoint"], spec["region"]) for c in spec["checks"]]))


if __name__ == "__main__":
    main()
