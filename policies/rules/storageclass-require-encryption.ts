import type { ResourcePolicy, Violation } from "../core/types";
import { EXCEPTIONS_SCHEMA, T, isExcepted } from "../core/util";

export const EBS_PROVISIONER = "ebs.csi.aws.com";
export const HCLOUD_PROVISIONER = "csi.hetzner.cloud";

/**
 * EBS classes encrypt with a customer-managed key (`encrypted: "true"` and `kmsKeyId`). Hetzner volumes are
 * encrypted with LUKS only when the CSI driver gets a passphrase secret (`csi.storage.k8s.io/node-publish-secret-*`);
 * whether that is required is policy config (`requireHcloudLuks`), since Hetzner has no provider-side encryption.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-storageclass-require-encryption",
  description: "StorageClasses encrypt volumes: EBS with encrypted \"true\" and a customer-managed kmsKeyId; Hetzner with LUKS when requireHcloudLuks is set.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      requireHcloudLuks: { type: "boolean", default: false, description: "Require LUKS (a node-publish secret) on Hetzner StorageClasses." },
    },
  },
  types: [T.storageClass],
  validate(r, ctx) {
    if (isExcepted(r, ctx)) return [];
    const params = (r.props.parameters ?? {}) as Record<string, unknown>;
    const out: Violation[] = [];
    if (r.props.provisioner === EBS_PROVISIONER) {
      if (params.encrypted !== "true") out.push({ message: `StorageClass ${r.name} does not set parameters.encrypted: "true".` });
      if (typeof params.kmsKeyId !== "string" || params.kmsKeyId === "") out.push({ message: `StorageClass ${r.name} has no parameters.kmsKeyId (a customer-managed KMS key).` });
    } else if (r.props.provisioner === HCLOUD_PROVISIONER && ctx.config.requireHcloudLuks === true) {
      if (!params["csi.storage.k8s.io/node-publish-secret-name"] || !params["csi.storage.k8s.io/node-publish-secret-namespace"]) {
        out.push({ message: `StorageClass ${r.name} has no LUKS passphrase secret (csi.storage.k8s.io/node-publish-secret-name and -namespace).` });
      }
    }
    return out;
  },
};
export default policy;
