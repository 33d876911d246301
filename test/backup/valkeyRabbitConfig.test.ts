import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../infra/config/load";
import { configProblems, rawConfig } from "../helpers/configProblems";

const base = { profile: "dev", cluster: JSON.stringify({ source: "stack", stack: "acme/clusters/dev" }) };
const withTarget = (target: Record<string, unknown>) => ({ ...base, backups: { targets: [target] } });
const KEY = "strata:backups.targets[0]";
const VALKEY = { name: "cache", kind: "valkey", host: "valkey.cache.svc.cluster.local" };
const RABBIT = { name: "mq", kind: "rabbitmq-definitions", url: "http://rabbitmq.mq:15672", user: "admin", passwordSecret: { name: "rmq", key: "password" } };

describe("a valkey backup target", () => {
  it("is accepted with a host alone (a server without AUTH), and with every optional field", () => {
    expect(resolveConfig(rawConfig(withTarget(VALKEY))).config.backups.targets).toEqual([VALKEY]);
    const full = { ...VALKEY, port: 6380, passwordSecret: { name: "valkey", key: "password" }, databases: 32, memoryGiB: 8, image: "docker.io/valkey/valkey:8.1.4-bookworm", scratchSizeGiB: 20 };
    expect(resolveConfig(rawConfig(withTarget(full))).config.backups.targets).toEqual([full]);
  });

  it.each([
    ["a host that is no host name", { ...VALKEY, host: "Valkey_Host" }, `${KEY}.host`],
    ["a port out of range", { ...VALKEY, port: 70000 }, `${KEY}.port`],
    ["an image without a pinned tag", { ...VALKEY, image: "docker.io/valkey/valkey:latest" }, `${KEY}.image`],
    ["a password as plain text", { ...VALKEY, passwordSecret: "hunter2" }, `${KEY}.passwordSecret`],
    ["an unknown field (a password in plain text)", { ...VALKEY, password: "hunter2" }, `${KEY}.password`],
    ["too little memory", { ...VALKEY, memoryGiB: 0 }, `${KEY}.memoryGiB`],
  ])("rejects %s, naming the key", (_what, target, key) => {
    expect(configProblems(withTarget(target)).map((p) => p.key)).toContain(key);
  });
});

describe("a rabbitmq-definitions backup target", () => {
  it("needs no drill image (the pinned rabbitmq image is the default) and still takes one", () => {
    expect(() => resolveConfig(rawConfig(withTarget(RABBIT)))).not.toThrow();
    expect(() => resolveConfig(rawConfig(withTarget({ ...RABBIT, drillImage: "docker.io/library/rabbitmq:3.13.7" })))).not.toThrow();
    expect(configProblems(withTarget({ ...RABBIT, drillImage: "rabbitmq" })).map((p) => p.key)).toContain(`${KEY}.drillImage`);
  });
});
