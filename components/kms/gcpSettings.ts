/** Cloud KMS key protection (`mlstack:gcp.kms.protectionLevel`). */

export type KmsProtectionLevel = "SOFTWARE" | "HSM";
