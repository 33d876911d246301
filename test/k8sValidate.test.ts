import { describe, expect, it } from "vitest";
import { modelFor, validateK8sObject } from "./helpers/k8sValidate";

const storageClass = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "x", labels: { a: "b" } },
  provisioner: "ebs.csi.aws.com",
  parameters: { type: "gp3" },
  reclaimPolicy: "Retain",
};

describe("validateK8sObject (the strict Kubernetes schema check)", () => {
  it("accepts a valid object, maps included", () => {
    expect(() => validateK8sObject(storageClass)).not.toThrow();
  });

  it("rejects a field Kubernetes does not know, naming its path", () => {
    expect(() => validateK8sObject({ ...storageClass, reclaimPolicyy: "Retain" })).toThrow(/reclaimPolicyy/);
    const pvc = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClass: "x" } };
    expect(() => validateK8sObject(pvc)).toThrow(/spec\.storageClass\b/);
    const pv = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "v" }, spec: { csi: { driver: "d", volumeHandle: "1", nodePublishSecret: { name: "s" } } } };
    expect(() => validateK8sObject(pv)).toThrow(/spec\.csi\.nodePublishSecret\b/);
  });

  it("rejects wrong types and missing required fields", () => {
    expect(() => validateK8sObject({ ...storageClass, parameters: { iops: 3000 } })).toThrow(/parameters\/iops must be string/);
    const { provisioner: _omitted, ...withoutProvisioner } = storageClass;
    expect(() => validateK8sObject(withoutProvisioner)).toThrow(/provisioner/);
  });

  it("throws on a kind it has no model for, instead of passing it unchecked", () => {
    expect(() => modelFor("example.com/v1", "Widget")).toThrow(/no kubernetes-models class/);
    expect(() => validateK8sObject({ apiVersion: "v1", kind: "Widget" })).toThrow(/no kubernetes-models class/);
    expect(() => validateK8sObject({ kind: "StorageClass" })).toThrow(/not a Kubernetes object/);
  });
});
