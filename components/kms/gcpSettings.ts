/** Cloud KMS key protection (`mlstack:gcp.kms.protectionLevel`). */

// An `as const` object as well as a type: Pulumi's component analyzer reads it as a schema enum.
export const KmsProtectionLevel = { SOFTWARE: "SOFTWARE", HSM: "HSM" } as const;
export type KmsProtectionLevel = (typeof KmsProtectionLevel)[keyof typeof KmsProtectionLevel];
