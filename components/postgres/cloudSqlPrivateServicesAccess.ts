/**
 * Private services access: the VPC peering through which Cloud SQL instances get a private IP in
 * the VPC. One per VPC, usually owned by the network team; mlstack creates it only when asked
 * (`gcp.network.privateServicesAccess.create`), with the allocated range from config.
 */
// The resource's own module rather than "@pulumi/gcp/compute", whose index alone makes tsc read
// ~280 more declaration files (93k lines) for this one class.
import { GlobalAddress } from "@pulumi/gcp/compute/globalAddress";
import * as servicenetworking from "@pulumi/gcp/servicenetworking";
import * as pulumi from "@pulumi/pulumi";
import { cloudLabels } from "../kube/labels";

export interface CloudSqlPrivateServicesAccessArgs {
  /** Project owning the VPC (the Shared VPC host project). */
  project: string;
  /** `projects/<project>/global/networks/<vpc>`. */
  network: string;
  /** The range to allocate, e.g. 10.60.0.0/16 (at least a /24). */
  cidr: string;
  /** Name of the allocated range. */
  rangeName: string;
  environment: string;
}

export class CloudSqlPrivateServicesAccess extends pulumi.ComponentResource {
  readonly range: GlobalAddress;
  readonly connection: servicenetworking.Connection;

  constructor(name: string, args: CloudSqlPrivateServicesAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    const match = /^((?:[0-9]{1,3}\.){3}[0-9]{1,3})\/([0-9]{1,2})$/.exec(args.cidr);
    const prefixLength = match ? Number(match[2]) : NaN;
    if (!match || prefixLength < 8 || prefixLength > 24) {
      throw new Error(
        `CloudSqlPrivateServicesAccess ${name}: cidr ${JSON.stringify(args.cidr)} is not an IPv4 range from /8 to /24`,
      );
    }
    if (!/^projects\/[^/]+\/global\/networks\/[^/]+$/.test(args.network)) {
      throw new Error(
        `CloudSqlPrivateServicesAccess ${name}: network ${JSON.stringify(args.network)} is not projects/<project>/global/networks/<vpc>`,
      );
    }
    super("mlstack:postgres:CloudSqlPrivateServicesAccess", name, {}, opts);

    this.range = new GlobalAddress(
      `${name}-range`,
      {
        project: args.project,
        name: args.rangeName,
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        address: match[1],
        prefixLength,
        network: args.network,
        labels: cloudLabels({
          environment: args.environment,
          team: "platform",
          component: "private-services-access",
        }),
      },
      { parent: this },
    );
    this.connection = new servicenetworking.Connection(
      `${name}-peering`,
      {
        network: args.network,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [this.range.name],
        // Removing the peering while any instance uses it fails; abandoning leaves it for the instances' owners.
        deletionPolicy: "ABANDON",
      },
      { parent: this },
    );
    this.registerOutputs({ rangeName: this.range.name });
  }
}
