"""MLflow behind an HTTPS Ingress, from Python, with mlstack's components as a Pulumi component package.

    pulumi package add ../..   # generates pulumi_mlstack from mlstack's PulumiPlugin.yaml (nodejs)
    pulumi preview

The tracking server uses a PostgreSQL database and an S3-compatible bucket this program does not
manage: their credentials are Secrets already in the cluster (``mlflow-db``, ``mlflow-artifacts``),
handed to MLflow as grants (environment from secret_key_ref: a grant never carries a literal secret;
and the NetworkPolicy egress each one needs).
The keyword arguments are the package schema's (docs/package-schema.json) in snake_case;
test/package/analyzerExamples.test.ts checks them against it.
"""

import pulumi
import pulumi_kubernetes as k8s
import pulumi_mlstack as mlstack

# Every mlstack component takes the platform context: environment, target, cluster flavor.
ctx = {
    "environment": "dev",
    "target": "kubernetes",
    "flavor": "kubernetes",
    "protect": False,
    "high_availability": False,
    "project": "mlflow-python",
    "stack": "dev",
}

namespace = k8s.core.v1.Namespace(
    "namespace",
    metadata={
        "name": "ml-tracking",
        "labels": {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        },
    },
)

service_account = k8s.core.v1.ServiceAccount(
    "service-account",
    metadata={"name": "mlflow", "namespace": namespace.metadata.name},
    automount_service_account_token=False,
)


mlflow = mlstack.Mlflow(
    "mlflow",
    ctx=ctx,
    config={
        "image": "ghcr.io/mlstack/mlflow:3.17.2-3",
        "replicas": 1,
        "auth": "basic",
        "oauth_proxy_image": "registry.redhat.io/openshift4/ose-oauth-proxy-rhel9:v4.18",
        "artifact_bucket": "mlflow-artifacts",
        "database": "mlflow",
        "resources": {
            "requests": {"cpu": "250m", "memory": "1Gi"},
            "limits": {"cpu": "1", "memory": "2Gi"},
        },
    },
    namespace=namespace.metadata.name,
    service_account_name=service_account.metadata.name,
    # The database grant: the connection URL from a Secret, egress to the database subnet.
    database={
        "env": [{"name": "DATABASE_URL", "value_from": {"secret_key_ref": {"name": "mlflow-db", "key": "uri"}}}],
        "volumes": [],
        "volume_mounts": [],
        "egress": [{"to": [{"ip_block": {"cidr": "10.20.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5432}]}],
        "depends_on": [],
    },
    artifacts={
        "destination": "s3://mlflow-artifacts",
        "access": {
            "env": [
                {
                    "name": "AWS_ACCESS_KEY_ID",
                    "value_from": {"secret_key_ref": {"name": "mlflow-artifacts", "key": "access-key-id"}},
                },
                {
                    "name": "AWS_SECRET_ACCESS_KEY",
                    "value_from": {"secret_key_ref": {"name": "mlflow-artifacts", "key": "secret-access-key"}},
                },
                {"name": "AWS_ENDPOINT_URL", "value": "https://s3.storage.example.com"},
            ],
            "volumes": [],
            "volume_mounts": [],
            "egress": [{"to": [{"ip_block": {"cidr": "10.30.0.10/32"}}], "ports": [{"protocol": "TCP", "port": 443}]}],
            "depends_on": [],
        },
    },
    # The ingress controller may reach MLflow's port (its namespace is default-deny otherwise).
    ingress_from=[{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
)

exposure = mlstack.Exposure(
    "exposure",
    ctx=ctx,
    name="mlflow",
    namespace=namespace.metadata.name,
    service_name=mlflow.service_name,
    service_port=mlflow.service_port,
    hostname="mlflow.ml.example.com",
    # MLflow's basic auth serves plain HTTP inside the cluster; TLS ends at the Ingress.
    backend_tls=False,
    tls={"cluster_issuer": "letsencrypt"},
    ingress_class_name="nginx",
    team="platform",
)

pulumi.export("tracking_uri", mlflow.tracking_uri)
pulumi.export("url", exposure.url)
pulumi.export("admin_secret", mlflow.admin_secret_name)
