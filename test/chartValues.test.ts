import { describe, expect, it } from "vitest";
import { unknownValuePaths } from "./helpers/chartValues";

const KPS = "kube-prometheus-stack-88.5.3";
const LOKI = "loki-18.11.0";
const THANOS = "thanos-thanos-community-0.38.0";

describe("unknownValuePaths against the saved upstream charts", () => {
  it("accepts paths that exist in the chart's defaults", () => {
    expect(unknownValuePaths(KPS, { alertmanager: { enabled: true, alertmanagerSpec: { replicas: 2, retention: "120h" } } })).toEqual([]);
  });

  it("names a misspelt key by its full path, and every leaf beneath an unknown key", () => {
    expect(unknownValuePaths(KPS, { alertmanager: { alertmanagerSpec: { replica: 2, replicas: 2 } } })).toEqual(["alertmanager.alertmanagerSpec.replica"]);
    expect(unknownValuePaths(KPS, { alertmanagr: { enabled: true, spec: { replicas: 2 } } })).toEqual(["alertmanagr.enabled", "alertmanagr.spec.replicas"]);
  });

  it("accepts anything beneath a free map (an empty {} default) but not beside it", () => {
    const values = { alertmanager: { alertmanagerSpec: { podMetadata: { labels: { team: "platform" } }, nodeSelector: { "kubernetes.io/os": "linux" } } } };
    expect(unknownValuePaths(KPS, values)).toEqual([]);
    expect(unknownValuePaths(KPS, { alertmanager: { alertmanagerSpec: { nodeSelectr: { "kubernetes.io/os": "linux" } } } })).toEqual([
      "alertmanager.alertmanagerSpec.nodeSelectr.kubernetes.io/os",
    ]);
  });

  it("accepts a list as a whole where the default is a list, and a value where the default is null", () => {
    expect(unknownValuePaths(KPS, { alertmanager: { alertmanagerSpec: { secrets: ["receivers"], tolerations: [{ key: "a", operator: "Exists" }], externalUrl: "https://am.example.com" } } })).toEqual([]);
  });

  it("checks inside a non-empty default map (alertmanager.config is not free)", () => {
    expect(unknownValuePaths(KPS, { alertmanager: { config: { route: { group_by: ["alertname"], grup_wait: "30s" } } } })).toEqual(["alertmanager.config.route.grup_wait"]);
  });

  it("does not descend into a scalar default", () => {
    expect(unknownValuePaths(KPS, { alertmanager: { alertmanagerSpec: { logLevel: { level: "info" } } } })).toEqual(["alertmanager.alertmanagerSpec.logLevel.level"]);
  });

  describe("with a values.schema.json", () => {
    it("accepts a path only the schema documents", () => {
      expect(unknownValuePaths(THANOS, { compactor: { httpRoute: { timeouts: { request: "30s" } } } })).toEqual([]);
    });

    it("catches a typo even though the schema's root tolerates extra keys", () => {
      expect(unknownValuePaths(LOKI, { lokii: { auth_enabled: false } })).toEqual(["lokii.auth_enabled"]);
      expect(unknownValuePaths(THANOS, { compactor: { httpRoute: { timeouts: { requst: "30s" } } } })).toEqual(["compactor.httpRoute.timeouts.requst"]);
    });

    it("accepts anything beneath a schema object with additionalProperties", () => {
      expect(unknownValuePaths(LOKI, { backend: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [] } } } })).toEqual([]);
    });
  });

  it("refuses a chart it has no defaults for", () => {
    expect(() => unknownValuePaths("no-such-chart-1.0.0", {})).toThrow(/no chart defaults/);
  });
});
