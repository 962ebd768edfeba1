"""mlstack's MLflow workload users: one basic-auth user per workload that follows a registry alias.

Run by the `mlflow-users` Job in the platform namespace (workloadUsers.ts), as MLflow's basic-auth
admin, against MLflow's REST API (standard library only). It makes MLflow's users match the
desired state and nothing else, so running it twice changes nothing the second time:

- every desired user exists and authenticates with its password (created, or its password reset
  by the admin when it no longer matches);
- every desired user holds exactly READ on its registered model and on each experiment holding a
  run of one of that model's versions (MLflow authorizes artifact downloads by experiment:
  `_get_proxy_artifact_validator` in mlflow/server/auth, MLflow 3.17); any other direct grant it
  holds is revoked;
- every managed user (username starting with the managed prefix) that is no longer desired is
  deleted, which removes its grants (`SqlAlchemyStore.delete_user`, MLflow 3.17).

Endpoints (mlflow/server/auth/routes.py, MLflow 3.17): users/list, users/create,
users/update-password, users/delete, users/current, and the version-3 users/permissions/list,
/grant and /revoke.

Environment:
  MLFLOW_TRACKING_URI                        the tracking server
  MLFLOW_TRACKING_USERNAME / _PASSWORD       the admin (from MLflow's admin Secret)
  MLFLOW_TRACKING_SERVER_CERT_PATH           optional CA bundle for an https tracking URI
  MLSTACK_USERS_FILE                         JSON: {"managedPrefix": str, "users": [{"username", "registeredModel"}]}
  MLSTACK_USER_CREDENTIALS_DIR                      one file per username holding its password

Prints one JSON line: what it changed (`created`, `passwordReset`, `granted`, `revoked`, `deleted`).
Exit status: 0 when MLflow matches the desired state; 2 for a configuration error; 1 otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

READ = "READ"
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-._")


class UsersError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def log(message: str) -> None:
    print(f"mlflow-users: {message}", file=sys.stderr, flush=True)


class Client:
    def __init__(self, uri: str, username: str, password: str, ca_file: str | None) -> None:
        self.uri = uri.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
        auth: str | None = None,
    ) -> tuple[int, dict]:
        url = self.uri + path + ("?" + urllib.parse.urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", auth or self.auth)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
                text = response.read().decode() or "{}"
                return response.status, json.loads(text)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                return error.code, json.loads(text or "{}")
            except json.JSONDecodeError:
                return error.code, {"message": text[:500]}

    def ok(self, method: str, path: str, **kwargs) -> dict:
        status, payload = self.call(method, path, **kwargs)
        if status != 200:
            raise UsersError(f"{method} {path} failed: HTTP {status} {json.dumps(payload)[:500]}")
        return payload


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def read_desired(env: dict[str, str]) -> tuple[str, dict[str, dict[str, str]]]:
    """The managed prefix and {username: {registeredModel, password}}; refuses a malformed state."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        if not env.get(name):
            raise UsersError(f"{name} is not set", 2)
    users_file, passwords_dir = env.get("MLSTACK_USERS_FILE"), env.get("MLSTACK_USER_CREDENTIALS_DIR")
    if not users_file or not passwords_dir:
        raise UsersError("MLSTACK_USERS_FILE and MLSTACK_USER_CREDENTIALS_DIR must be set", 2)
    state = json.loads(Path(users_file).read_text(encoding="utf-8"))
    prefix = state.get("managedPrefix", "")
    if len(prefix) < 3:
        raise UsersError(f"managedPrefix {prefix!r} is too short to tell managed users apart", 2)
    desired: dict[str, dict[str, str]] = {}
    for user in state.get("users", []):
        username, model = user.get("username", ""), user.get("registeredModel", "")
        if not username.startswith(prefix) or not set(username) <= USERNAME_CHARS or not model:
            raise UsersError(f"user {user!r} needs a username under {prefix!r} and a registeredModel", 2)
        password_file = Path(passwords_dir) / username
        if not password_file.is_file():
            raise UsersError(f"no password for {username} in {passwords_dir}", 2)
        credential = password_file.read_text(encoding="utf-8").strip()
        desired[username] = {"registeredModel": model, "password": credential}
    if env["MLFLOW_TRACKING_USERNAME"].startswith(prefix):
        raise UsersError("the admin's username is under the managed prefix; it would be deleted", 2)
    return prefix, desired


def model_experiments(client: Client, model: str) -> set[str]:
    """The experiments holding a run of any version of `model` (none while it is not registered)."""
    run_ids: set[str] = set()
    page_after = ""
    while True:
        params = {"filter": f"name='{model}'", "max_results": "200"}
        if page_after:
            params["page_token"] = page_after
        page = client.ok("GET", "/api/2.0/mlflow/model-versions/search", params=params)
        run_ids.update(v["run_id"] for v in page.get("model_versions", []) if v.get("run_id"))
        page_after = page.get("next_page_token", "")
        if not page_after:
            break
    experiments: set[str] = set()
    for run_id in sorted(run_ids):
        status, payload = client.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})
        if status == 200:
            experiments.add(str(payload["run"]["info"]["experiment_id"]))
        elif status != 404:
            raise UsersError(f"reading run {run_id} of {model!r} failed: HTTP {status} {payload}")
    return experiments


def reconcile(env: dict[str, str]) -> dict[str, list]:
    prefix, desired = read_desired(env)
    client = Client(
        env["MLFLOW_TRACKING_URI"],
        env["MLFLOW_TRACKING_USERNAME"],
        env["MLFLOW_TRACKING_PASSWORD"],
        env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None,
    )
    changes: dict[str, list] = {"created": [], "passwordReset": [], "granted": [], "revoked": [], "deleted": []}
    existing = {u["username"] for u in client.ok("GET", "/api/2.0/mlflow/users/list").get("users", [])}

    for username, user in sorted(desired.items()):
        if username not in existing:
            client.ok("POST", "/api/2.0/mlflow/users/create", body={"username": username, "password": user["password"]})
            changes["created"].append(username)
        else:
            status, _ = client.call("GET", "/api/2.0/mlflow/users/current", auth=basic(username, user["password"]))
            if status != 200:
                client.ok(
                    "PATCH",
                    "/api/2.0/mlflow/users/update-password",
                    body={"username": username, "password": user["password"]},
                )
                changes["passwordReset"].append(username)

        model = user["registeredModel"]
        wanted = {("registered_model", model)} | {("experiment", e) for e in model_experiments(client, model)}
        listed = client.ok("GET", "/api/3.0/mlflow/users/permissions/list", params={"username": username})
        if listed.get("is_admin"):
            raise UsersError(f"{username} is an MLflow admin; refusing to manage it", 2)
        held: dict[tuple[str, str], str] = {}
        for row in listed.get("permissions", []):
            # Direct grants live on the user's synthetic role `__user_<id>__`; roles assigned by an
            # admin by hand are not this step's to change.
            if str(row.get("role_name", "")).startswith("__user_"):
                held[(row["resource_type"], row["resource_pattern"])] = row["permission"]
        for (resource_type, resource_id), permission in sorted(held.items()):
            if (resource_type, resource_id) not in wanted or permission != READ:
                client.ok(
                    "POST",
                    "/api/3.0/mlflow/users/permissions/revoke",
                    body={"username": username, "resource_type": resource_type, "resource_id": resource_id},
                )
                changes["revoked"].append([username, resource_type, resource_id, permission])
        for resource_type, resource_id in sorted(wanted):
            if held.get((resource_type, resource_id)) != READ:
                client.ok(
                    "POST",
                    "/api/3.0/mlflow/users/permissions/grant",
                    body={
                        "username": username,
                        "resource_type": resource_type,
                        "resource_id": resource_id,
                        "permission": READ,
                    },
                )
                changes["granted"].append([username, resource_type, resource_id])

    for username in sorted(existing):
        if username.startswith(prefix) and username not in desired:
            client.ok("DELETE", "/api/2.0/mlflow/users/delete", params={"username": username})
            changes["deleted"].append(username)
    return changes


def main() -> int:
    try:
        changes = reconcile(dict(os.environ))
    except UsersError as error:
        log(str(error))
        return error.status
    print(json.dumps(changes, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
