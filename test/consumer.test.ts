import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_VERSION, readStrataStack, type StrataContract } from "../stacks/contract";
import { deployConsumer } from "../examples/consumer/app";

// A Strata stack as a consumer would read it, with the sections that are still landing filled in as the contract
// declares them. Each test picks which stack (by name) the mocked StackReference answers for.
const full: Partial<StrataContract> = {
  contractVersion: CONTRACT_VERSION,
  environment: "prod",
  profile: "prod",
  cloud: "aws",
  region: "eu-central-1",
  clusterName: "prod",
  namespaces: { monitoring: "monitoring", logging: "logging", backups: "strata-backups" },
  retention: [],
  archive: {
    kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/abc",
    buckets: { backups: { name: "strata-prod-backups-1a2b", arn: "arn:aws:s3:::strata-prod-backups-1a2b", region: "eu-central-1" } },
    identities: {
      "backup-orders": { namespace: "strata-backups", serviceAccount: "strata-backup-orders", mode: "irsa", principalArn: "arn:aws:iam::123456789012:role/strata/strata-prod-backup-orders" },
    },
    backupKeyLayout: "<kind>/<target>/YYYY/MM/DD/<target>-<UTC timestamp>.<ext>",
    tiers: [],
  },
  claims: { orders: { namespace: "orders", claimName: "orders-data", storageClass: "ebs-gp3", sizeGiB: 50 } },
  endpoints: {
    serviceMonitorLabels: { release: "strata-kube-prometheus-stack" },
    prometheusUrl: "http://prometheus.monitoring.svc:9090",
    pushgatewayUrl: "http://pushgateway.monitoring.svc:9091",
    lokiPushUrl: "http://loki-gateway.logging.svc/loki/api/v1/push",
    alertmanagerUrl: "http://alertmanager.monitoring.svc:9093",
  },
  backups: { bucket: "strata-prod-backups-1a2b", targets: { orders: { kind: "postgresql", prefix: "postgresql/orders/", writerIdentity: "backup-orders", schedule: "0 2 * * *", drillSchedule: "30 4 3 * *" } } },
};
const { claims: _c, ...today } = full;
const stacks: Record<string, Record<string, unknown>> = {
  "acme/strata/prod": full,
  "acme/strata/today": today,
  "acme/strata/v2": { ...full, contractVersion: "2.0.0" },
  "acme/not-strata/prod": { kubeconfig: "..." },
  "acme/strata/secret": full,
  // Contract 1.2: logging off (no logging section, no Loki URL) and no backup target (no backups section).
  "acme/strata/nologs": { ...full, logging: undefined, backups: undefined, endpoints: { ...full.endpoints!, lokiPushUrl: undefined } },
};

const registered: { type: string; name: string; inputs: Record<string, any> }[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        if (args.type === "pulumi:pulumi:StackReference") {
          return { id: args.inputs.name, state: { name: args.inputs.name, outputs: stacks[args.inputs.name] ?? {}, secretOutputNames: args.inputs.name === "acme/strata/secret" ? ["clusterName"] : [] } };
        }
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "consumer",
    "test",
    false,
  );
});

/** The inputs a resource was registered with, once the mock monitor has seen it. */
async function inputsOf(resource: pulumi.CustomResource) {
  const urn = await (resource.urn as unknown as { promise(): Promise<string> }).promise();
  return registered.find((r) => urn.endsWith(`${r.type}::${r.name}`))!.inputs;
}

describe("readStrataStack", () => {
  it("reads typed outputs through a StackReference named after the stack", async () => {
    const strata = await readStrataStack("acme/strata/prod");
    expect(strata.contractVersion).toBe(CONTRACT_VERSION);
    expect(await strata.require("region")).toBe("eu-central-1");
    const archive = await strata.require("archive");
    expect(archive.identities["backup-orders"]!.serviceAccount).toBe("strata-backup-orders");
    expect(registered.some((r) => r.type === "pulumi:pulumi:StackReference" && r.name === "strata-acme-strata-prod" && r.inputs.name === "acme/strata/prod")).toBe(true);
  });

  it("fails clearly when a section that is still landing is required, and get() gives undefined instead", async () => {
    const strata = await readStrataStack("acme/strata/today", { resourceName: "today" });
    await expect(strata.require("claims")).rejects.toThrow('stack "acme/strata/today" has no output "claims": every Strata stack of this contract exports it, so the stack\'s last update did not complete');
    await expect(strata.require("clusterName")).resolves.toBe("prod");
    expect(await strata.get("claims")).toBeUndefined();
  });

  it("names a missing delivered output as an incomplete update", async () => {
    const strata = await readStrataStack("acme/strata/today", { resourceName: "today-2" });
    await expect(strata.require("capacity")).rejects.toThrow(/no output "capacity": every Strata stack of this contract exports it/);
  });

  it("refuses a stack of another contract major, and a stack that is not Strata, before returning anything", async () => {
    await expect(readStrataStack("acme/strata/v2")).rejects.toThrow(/exports Strata contract 2\.0\.0, but this stack reads contract 1\.x/);
    await expect(readStrataStack("acme/not-strata/prod")).rejects.toThrow(/exports no contractVersion: it is not a Strata stack/);
  });

  it("refuses an output the referenced stack marks secret instead of unwrapping it", async () => {
    const strata = await readStrataStack("acme/strata/secret");
    await expect(strata.require("clusterName")).rejects.toThrow(/exports "clusterName" as a secret, but the Strata contract carries no secrets/);
  });
});

describe("the consumer example (examples/consumer)", () => {
  it("mounts the Strata claim, labels its monitor for Strata's Prometheus and writes to its backup prefix as Strata's writer", async () => {
    const app = await deployConsumer(await readStrataStack("acme/strata/prod", { resourceName: "strata" }), { claim: "orders", backupTarget: "orders", image: "example/orders:1" });
    const deployment = await inputsOf(app.deployment);
    expect(deployment.metadata.namespace).toBe("orders");
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "orders-data" } }]);
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({ name: "PUSHGATEWAY_URL", value: "http://pushgateway.monitoring.svc:9091" });
    const monitor = await inputsOf(app.serviceMonitor);
    expect(monitor.metadata.labels).toEqual({ release: "strata-kube-prometheus-stack" });
    const job = await inputsOf(app.exportJob);
    expect(job.metadata.namespace).toBe("strata-backups");
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe("strata-backup-orders");
    expect(pod.containers[0].args).toEqual(["export", "--to", "s3://strata-prod-backups-1a2b/postgresql/orders/"]);
    expect(app.backupDestination).toBe("s3://strata-prod-backups-1a2b/postgresql/orders/");
  });

  it("against a Strata stack without the claims section, fails with the helper's message before declaring anything", async () => {
    const before = registered.length;
    const strata = await readStrataStack("acme/strata/today", { resourceName: "strata-today" });
    await expect(deployConsumer(strata, { claim: "orders", backupTarget: "orders", image: "example/orders:1" })).rejects.toThrow(
      /has no output "claims": every Strata stack of this contract exports it, so the stack's last update did not complete/,
    );
    // Only the StackReference itself was registered.
    expect(registered.slice(before).map((r) => r.type)).toEqual(["pulumi:pulumi:StackReference"]);
  });

  it("handles a stack whose capabilities are off: no Loki URL is set, and a missing backups section says why", async () => {
    const strata = await readStrataStack("acme/strata/nologs", { resourceName: "strata-nologs" });
    await expect(strata.get("logging")).resolves.toBeUndefined();
    await expect(deployConsumer(strata, { claim: "orders", backupTarget: "orders", image: "example/orders:1" })).rejects.toThrow(
      /has no output "backups": the stack does not run that capability \(no backup target\)/,
    );
  });

  it("names the claim it cannot find among those Strata exports", async () => {
    const strata = await readStrataStack("acme/strata/prod", { resourceName: "strata-typo" });
    await expect(deployConsumer(strata, { claim: "order", backupTarget: "orders", image: "example/orders:1" })).rejects.toThrow('has no claim "order" (it has: orders)');
  });
});
