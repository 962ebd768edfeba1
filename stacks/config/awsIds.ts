/** AWS resource ID forms the `mlstack:aws` keys accept. */
export const SG = /^sg-[0-9a-f]{8,17}$/;
export const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
export const VPC = /^vpc-[0-9a-f]{8,17}$/;
