"""mlstack's fetch-model step: copies a served model into a local folder before the server starts.

Runs as the initContainer of a model's pod (modelFetch.ts), in the MLflow image, with the pod's
own identity. The model comes from one of two places:

- a bucket (`MODEL_URI=s3://bucket/path` or `gs://bucket/path`): downloaded with the bucket
  grant's credentials (static keys by reference in-cluster, IRSA or Workload Identity in the
  clouds) through MLflow's artifact repositories (`MLFLOW_S3_ENDPOINT_URL` for S3-compatible
  stores);
- the MLflow model registry (`MODEL_REGISTRY_NAME` + `MODEL_REGISTRY_ALIAS`): the alias is resolved
  with `GET /api/2.0/mlflow/registered-models/alias` on `MLFLOW_TRACKING_URI`, as the workload
  itself (`MLFLOW_TRACKING_USERNAME`/`_PASSWORD` of its own MLflow user, or a bearer token read
  from `MLSTACK_TRACKING_TOKEN_FILE` where an OAuth proxy checks ServiceAccount tokens), and
  the version it names is downloaded with `models:/<name>/<version>` (the tracking server serves
  the artifacts, `--serve-artifacts`). With MLflow's basic auth that identity needs READ on the
  registered model and on the experiment holding the version's run: MLflow authorizes artifact
  downloads by experiment (`_get_proxy_artifact_validator` in mlflow/server/auth, MLflow 3.17).

Either way the model's files land directly in `MODEL_DIR` (its `MLmodel` at `MODEL_DIR/MLmodel`),
and `MODEL_DIR/.mlstack-model.json` records what was fetched (source, and for the registry the
alias, the version it resolved to and its run), so a pod says which version it serves.

Exit status: 0 when the model is in place; 2 for a configuration error; 3 when the registry has
no such model or alias (nothing is served rather than a wrong model); 1 for anything else.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

RECORD = ".mlstack-model.json"


class FetchError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def log(message: str) -> None:
    print(f"fetch-model: {message}", file=sys.stderr, flush=True)


def read_settings(env: dict[str, str]) -> dict[str, str]:
    """The fetch to do, from the environment; refuses a half-configured one."""
    model_dir = env.get("MODEL_DIR", "")
    if not model_dir:
        raise FetchError("MODEL_DIR is not set", 2)
    uri = env.get("MODEL_URI", "")
    name = env.get("MODEL_REGISTRY_NAME", "")
    alias = env.get("MODEL_REGISTRY_ALIAS", "")
    if uri and (name or alias):
        raise FetchError("set either MODEL_URI or MODEL_REGISTRY_NAME/_ALIAS, not both", 2)
    if uri:
        if not uri.startswith(("s3://", "gs://")):
            raise FetchError(f"MODEL_URI {uri!r} is not an s3:// or gs:// URL", 2)
        return {"model_dir": model_dir, "uri": uri}
    if not (name and alias):
        raise FetchError("MODEL_URI, or MODEL_REGISTRY_NAME and MODEL_REGISTRY_ALIAS, must be set", 2)
    if not env.get("MLFLOW_TRACKING_URI"):
        raise FetchError("MLFLOW_TRACKING_URI is required to resolve a registry alias", 2)
    return {"model_dir": model_dir, "name": name, "alias": alias}


def use_token_file(env: dict[str, str]) -> None:
    """A projected ServiceAccount token rotates: read it when the step runs, never copy it into config."""
    token_file = env.get("MLSTACK_TRACKING_TOKEN_FILE")
    if token_file:
        os.environ["MLFLOW_TRACKING_TOKEN"] = Path(token_file).read_text(encoding="utf-8").strip()


def resolve_alias(tracking_uri: str, name: str, alias: str) -> dict[str, str]:
    """The model version `alias` points at, as the registry's REST API returns it."""
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    response = http_request(
        get_default_host_creds(tracking_uri),
        "/api/2.0/mlflow/registered-models/alias",
        "GET",
        params={"name": name, "alias": alias},
        max_retries=5,
        backoff_factor=2,
        raise_on_status=False,
    )
    if response.status_code in (401, 403):
        raise FetchError(
            f"MLflow refused this workload's credentials ({response.status_code}) reading "
            f"registered model {name!r}: it needs READ on it (and on the experiment of its runs)"
        )
    # MLflow 3.17 answers 400 INVALID_PARAMETER_VALUE "Registered model alias <a> not found." for
    # an unknown alias and 404 RESOURCE_DOES_NOT_EXIST for an unknown model.
    if response.status_code == 404 or (
        response.status_code == 400
        and ("RESOURCE_DOES_NOT_EXIST" in response.text or "not found" in response.text.lower())
    ):
        raise FetchError(f"registered model {name!r} has no alias {alias!r} (or does not exist)", 3)
    if response.status_code != 200:
        raise FetchError(
            f"resolving {name}@{alias} failed: HTTP {response.status_code} {response.text[:500]}"
        )
    version = response.json().get("model_version") or {}
    if str(version.get("name")) != name or not version.get("version"):
        raise FetchError(f"MLflow answered for {name}@{alias} without a version of {name!r}: {version}")
    return {"version": str(version["version"]), "run_id": str(version.get("run_id") or "")}


def download(artifact_uri: str, model_dir: Path, tracking_uri: str | None) -> None:
    """Downloads into a staging folder beside the model's, then moves the files up into MODEL_DIR."""
    import mlflow.artifacts

    model_dir.mkdir(parents=True, exist_ok=True)
    stale = [p for p in model_dir.iterdir() if not p.name.startswith(".fetch-")]
    if stale:
        raise FetchError(f"{model_dir} is not empty ({stale[0].name}); refusing to mix two models", 2)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=model_dir))
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=artifact_uri, dst_path=str(staging), tracking_uri=tracking_uri
            )
        )
        if not local.is_dir():
            raise FetchError(f"{artifact_uri} is a single file, not a model folder")
        for child in local.iterdir():
            shutil.move(str(child), str(model_dir / child.name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not (model_dir / "MLmodel").exists() and not any(model_dir.iterdir()):
        raise FetchError(f"{artifact_uri} holds no files")


def fetch(env: dict[str, str]) -> dict[str, str]:
    settings = read_settings(env)
    model_dir = Path(settings["model_dir"])
    if "uri" in settings:
        record = {"source": settings["uri"]}
        download(settings["uri"], model_dir, None)
    else:
        use_token_file(env)
        tracking_uri = env["MLFLOW_TRACKING_URI"]
        name, alias = settings["name"], settings["alias"]
        resolved = resolve_alias(tracking_uri, name, alias)
        source = f"models:/{name}/{resolved['version']}"
        log(f"{name}@{alias} is version {resolved['version']}")
        record = {"source": source, "name": name, "alias": alias, **resolved}
        download(source, model_dir, tracking_uri)
    (model_dir / RECORD).write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
    log(f"fetched {record['source']} into {model_dir}")
    return record


def main() -> int:
    try:
        fetch(dict(os.environ))
    except FetchError as error:
        log(str(error))
        return error.status
    return 0


if __name__ == "__main__":
    sys.exit(main())
