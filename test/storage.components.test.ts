import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";

// The plan redacts a Secret's data wholesale, so the key the CSI driver reads is checked here, under plain mocks.
const created: MockResourceArgs[] = [];
beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push(args);
        const result = args.type === "random:index/randomPassword:RandomPassword" ? { result: "x".repeat(64) } : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...result } };
      },
      call: () => ({}),
    },
    "strata",
    "components",
  );
});

describe("HcloudStorageClass with encryption", () => {
  it("stores the generated passphrase under `encryption-passphrase`, the key the hcloud CSI driver reads", async () => {
    const { HcloudStorageClass } = await import("../components/storage/hcloudStorageClass");
    const sc = new HcloudStorageClass("luks", {
      name: "hcloud-volumes",
      fsType: "ext4",
      location: "hel1",
      isDefault: false,
      labels: {},
      encryption: { secretName: "luks", secretNamespace: "kube-system" },
      resourceOptions: { retainOnDelete: true },
    });
    await new Promise<void>((resolve) => sc.storageClassName.apply(() => resolve()));
    const secret = created.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    // Mocks see secrets in Pulumi's wire form: a signature marking the value secret, and the value.
    const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
    expect(secret.inputs.stringData).toMatchObject(SECRET_SIG);
    expect(secret.inputs.stringData.value).toEqual({ "encryption-passphrase": "x".repeat(64) });
    const storageClass = created.find((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass")!;
    expect(storageClass.inputs.metadata.annotations).toEqual({ "storageclass.kubernetes.io/is-default-class": "false" });
    expect(storageClass.inputs.allowedTopologies[0].matchLabelExpressions[0].values).toEqual(["hel1"]);
  });
});

describe("the EBS CSI role the key policy names", () => {
  it("is required: a missing one stops the deployment naming the cluster output and the config key", async () => {
    const { requireEbsCsiRoleArn } = await import("../infra/areas/storage");
    expect(() => requireEbsCsiRoleArn(undefined)).toThrow(/output `ebsCsiRoleArn`, or strata:cluster\.ebsCsiRoleArn/);
    expect(() => requireEbsCsiRoleArn("")).toThrow(/EBS CSI driver role ARN/);
    expect(requireEbsCsiRoleArn("arn:aws:iam::123456789012:role/csi")).toBe("arn:aws:iam::123456789012:role/csi");
  });
});
