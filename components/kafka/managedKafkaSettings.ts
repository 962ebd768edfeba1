/** The subnets a Managed Service for Apache Kafka cluster attaches to (`mlstack:gcp.network.subnets`). */

export interface GcpSubnetConfig {
  /** Subnetwork name in `gcp.region` of the network's project. */
  name: string;
  /** Its primary IPv4 range: Managed Kafka places its broker endpoints here, so pods get egress to it on 9092. */
  cidr: string;
  /** `projects/<network project>/regions/<region>/subnetworks/<name>`. */
  id: string;
}
