/**
 * CIDR blocks, declared once. `isCidr` is what a NetworkPolicy `ipBlock.cidr` accepts (IPv4 or
 * IPv6; Kubernetes validates it with `netutils.ParseCIDRSloppy`, k8s.io/kubernetes
 * pkg/apis/networking/validation); `isIpv4Cidr` is for cloud networks that are IPv4 only (VPC and
 * subnet ranges on AWS and GCP).
 */
import { isIPv4, isIPv6 } from "net";

export const CIDR_RULE = "a CIDR block such as 10.0.0.0/16 or fd00::/8";
export const IPV4_CIDR_RULE = "an IPv4 CIDR block such as 10.0.0.0/16";

/** `a.b.c.d/n`, every octet 0–255 without leading zeros, n 0–32. */
export function isIpv4Cidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  return isIPv4(address) && /^([0-9]|[12][0-9]|3[0-2])$/.test(prefix);
}

/** An IPv6 address and a prefix length 0–128. */
export function isIpv6Cidr(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  return (
    isIPv6(value.slice(0, slash)) && /^([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$/.test(value.slice(slash + 1))
  );
}

/** Either family, as NetworkPolicy peers accept. */
export function isCidr(value: string): boolean {
  return isIpv4Cidr(value) || isIpv6Cidr(value);
}
