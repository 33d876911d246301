import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unknownValuePaths } from "./helpers/chartValues";

function chart(valuesYaml: string, schema?: object): string {
  const dir = mkdtempSync(join(tmpdir(), "strata-chart-"));
  writeFileSync(join(dir, "values.yaml"), valuesYaml);
  if (schema) writeFileSync(join(dir, "values.schema.json"), JSON.stringify(schema));
  return dir;
}

const defaults = `
image:
  tag: null
  pullPolicy: IfNotPresent
resources: {}
extraEnv: []
nodeSelector: null
persistence:
  enabled: false
  size: 10Gi
`;

describe("unknownValuePaths", () => {
  const dir = chart(defaults);

  it("accepts keys that exist in values.yaml, whatever their values", () => {
    expect(unknownValuePaths(dir, { image: { tag: "1.2.3" }, persistence: { enabled: true, size: "20Gi" } })).toEqual([]);
  });

  it("reports a misspelt key as its leaf path", () => {
    expect(unknownValuePaths(dir, { persistence: { enabeld: true } })).toEqual(["persistence.enabeld"]);
  });

  it("reports every leaf of an unknown subtree", () => {
    expect(unknownValuePaths(dir, { storage: { s3: { region: "eu", bucket: "b" } } }).sort()).toEqual(["storage.s3.bucket", "storage.s3.region"]);
  });

  it("accepts anything beneath an empty map, an empty list or a null default", () => {
    expect(unknownValuePaths(dir, { resources: { limits: { cpu: "1" } }, nodeSelector: { zone: "a" }, extraEnv: [{ name: "X" }] })).toEqual([]);
  });

  it("treats a null default as an optional object the user fills", () => {
    expect(unknownValuePaths(dir, { image: { tag: { nested: "x" } } })).toEqual([]);
  });

  it("knows keys only the schema lists, resolving $ref, and treats property-less schema maps as free", () => {
    const withSchema = chart(defaults, {
      type: "object",
      additionalProperties: true,
      $defs: { storage: { type: "object", properties: { bucketNames: { type: "object", properties: { chunks: { type: "string" } } } } } },
      properties: {
        storage: { $ref: "#/$defs/storage" },
        limits: { type: "object", additionalProperties: true },
      },
    });
    expect(unknownValuePaths(withSchema, { storage: { bucketNames: { chunks: "logs" } }, limits: { retention_period: "720h" } })).toEqual([]);
    expect(unknownValuePaths(withSchema, { storage: { bucketNames: { chunk: "logs" } } })).toEqual(["storage.bucketNames.chunk"]);
    // A root that lists properties is not a free map even with additionalProperties: true.
    expect(unknownValuePaths(withSchema, { typo: 1 })).toEqual(["typo"]);
  });

  it("resolves a bare folder name under the shared charts", () => {
    expect(unknownValuePaths("loki-18.11.0", { deploymentMode: "Monolithic", deploymentMod: "x" })).toEqual(["deploymentMod"]);
  });

  it("fails loudly when the chart's defaults are missing", () => {
    expect(() => unknownValuePaths(join(tmpdir(), "no-such-chart-dir"), {})).toThrow(/values.yaml does not exist/);
  });
});
