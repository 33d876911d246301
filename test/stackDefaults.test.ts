import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { ConfigError } from "../infra/config/errors";
import { placeBackupTiers } from "../infra/config/defaults";
import { imagePinProblem } from "../infra/config/sections/image";
import { UNDECRYPTED_SECRET } from "../infra/config/undecrypted";
import { newEncryptionSalt, passphraseCrypter, PassphraseError } from "../infra/plan/passphraseSecrets";
import { parseStackConfig } from "../infra/plan/stackFile";
import { effectiveSizes } from "../infra/capacity/plan";
import { PROFILE_DEFAULTS } from "../stacks/profiles";
import { configProblems, rawConfig } from "./helpers/configProblems";

const CLUSTER = { source: "stack", stack: "acme/clusters/prod" };
const prod = { profile: "prod", cluster: CLUSTER };
const message = (values: Record<string, unknown>, secretKeys: string[] = []) => new ConfigError(configProblems(values, secretKeys)).message;

describe("Pulumi's passphrase secrets, read offline", () => {
  // One key derivation (1,000,000 PBKDF2 rounds) serves every case below.
  const { encryptionSalt, crypter } = newEncryptionSalt("correct horse");

  it("opens what it sealed, and the salt proves the passphrase", () => {
    const sealed = crypter.encrypt("s3cr3t value: with colons");
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+$/);
    expect(passphraseCrypter(encryptionSalt, "correct horse").decrypt(sealed)).toBe("s3cr3t value: with colons");
  });

  it("refuses a wrong passphrase and a tampered or malformed value", () => {
    expect(() => passphraseCrypter(encryptionSalt, "wrong horse")).toThrow(/incorrect passphrase/);
    const sealed = crypter.encrypt("value");
    const [v, nonce, body] = sealed.split(":");
    const flipped = Buffer.from(body!, "base64");
    flipped[0] = flipped[0]! ^ 1;
    expect(() => crypter.decrypt(`${v}:${nonce}:${flipped.toString("base64")}`)).toThrow(PassphraseError);
    expect(() => crypter.decrypt("v2:abc:def")).toThrow(/unknown value version/);
    expect(() => crypter.decrypt("v1:abc")).toThrow(/bad value/);
  });

  it("a stack file's secure values are decrypted with its passphrase, sealed without it, and a wrong one fails naming the file", () => {
    const text = `encryptionsalt: ${encryptionSalt}\nconfig:\n  strata:smtpPassword:\n    secure: ${crypter.encrypt("hunter2-hunter2")}\n`;
    expect(parseStackConfig(text, "s.yaml", { passphrase: "correct horse" }).values["strata:smtpPassword"]).toBe("hunter2-hunter2");
    expect(parseStackConfig(text, "s.yaml").values["strata:smtpPassword"]).toBe(UNDECRYPTED_SECRET);
    expect(() => parseStackConfig(text, "s.yaml", { passphrase: "nope" })).toThrow(/s\.yaml: incorrect passphrase/);
  });
});

describe("secrets the plan cannot decrypt", () => {
  const slack = { ...prod, alerting: { slack: { enabled: true } } };

  it("count as present, are listed as unchecked, and their format is not judged on a placeholder", () => {
    const loaded = resolveConfig(rawConfig({ ...slack, slackWebhookUrl: UNDECRYPTED_SECRET }, ["slackWebhookUrl"]));
    expect(loaded.uncheckedSecrets).toEqual(["strata:slackWebhookUrl"]);
  });

  it("a decrypted value is checked like any value, and never shown", () => {
    const text = message({ ...slack, slackWebhookUrl: "not a url" }, ["slackWebhookUrl"]);
    expect(text).toMatch(/strata:slackWebhookUrl: Invalid URL/);
    expect(text).not.toContain("not a url");
  });

  it("a missing secret says it is not set, never [secret]", () => {
    const text = message(slack);
    expect(text).toMatch(/strata:slackWebhookUrl: .*\(got \(not set\)\)/);
    expect(text).not.toContain("[secret]");
  });
});

describe("profiles are posture; stacks own their workloads", () => {
  it("neither profile declares a claim, a backup target, a database size or a telemetry backend", () => {
    for (const p of Object.values(PROFILE_DEFAULTS)) {
      expect(p.storage.claims).toEqual({});
      expect(p.backups.targets).toEqual([]);
      expect(p.capacity.databases).toEqual({});
      expect(p.telemetry.backend).toBeUndefined();
      expect(p.telemetry.sqlite).toBeUndefined();
    }
  });

  it("null removes an entry the stack inherited", () => {
    const { config } = resolveConfig(rawConfig({ ...prod, capacity: { overrides: { storeGatewayVolumeGiB: null } } }));
    expect(config.capacity.overrides).toEqual({ compactorVolumeGiB: PROFILE_DEFAULTS.prod.capacity.overrides.compactorVolumeGiB });
    expect(effectiveSizes(config).storeGatewayVolumeGiB.source).toBe("estimate");
  });

  it("errors say whether the value came from the stack or from the profile", () => {
    expect(message({ ...prod, retention: { metricsRawDays: 200 } })).toMatch(/metricsDownsampled5mDays: .*\(got 120, the prod profile's default \(stacks\/profiles\.ts\); set strata:retention\.metricsDownsampled5mDays in the stack to override it\)/);
    expect(message({ ...prod, retention: { metricsRawDays: 200, metricsDownsampled5mDays: 100 } })).toMatch(/\(got 100, set in this stack\)/);
  });
});

describe("defaults fit the stack they land on", () => {
  it("a prod stack on hcloud raises the profile's sizes to Hetzner's minimum, with a note; the stack's own sizes are checked as written", () => {
    const loaded = resolveConfig(rawConfig({ ...prod, cloud: "hcloud" }));
    expect(loaded.config.metrics.pushgateway.volumeSizeGiB).toBe(10);
    expect(loaded.notes).toEqual([{ key: "strata:metrics.pushgateway.volumeSizeGiB", message: "the prod profile's 2 GiB is below Hetzner's 10 GiB minimum volume; raised to 10 GiB" }]);
    expect(message({ ...prod, cloud: "hcloud", metrics: { pushgateway: { volumeSizeGiB: 2 } } })).toMatch(/strata:metrics\.pushgateway\.volumeSizeGiB: must be >= 10 on hcloud.*\(got 2, set in this stack\)/);
    expect(resolveConfig(rawConfig({ ...prod })).notes).toEqual([]);
  });

  it("second regions follow the stack's region unless the stack names them", () => {
    const { config } = resolveConfig(rawConfig({ ...prod, region: "eu-west-1" }));
    expect(config.storage.snapshots.crossRegionCopy.region).toBe("eu-central-1");
    expect(config.archive.replication.region).toBe("eu-central-1");
    expect(resolveConfig(rawConfig({ ...prod, region: "us-east-2" })).config.archive.replication.region).toBe("us-west-2");
    expect(message({ ...prod, region: "eu-west-1", archive: { replication: { region: "eu-west-1" } } })).toMatch(/strata:archive\.replication\.region: must differ from strata:region \(eu-west-1\).*set in this stack/);
  });

  it("the backups bucket's tiers and lock follow the stack's daily window and archive expiry", () => {
    const ninety = resolveConfig(rawConfig({ ...prod, retention: { backupDailyDays: 90 } })).config.archive.backups;
    expect(ninety.transitions).toEqual([
      { afterDays: 90, storageClass: "GLACIER_IR" },
      { afterDays: 180, storageClass: "DEEP_ARCHIVE" },
    ]);
    expect(ninety.objectLock.days).toBe(90);
    // Deep Archive's 180-day minimum no longer fits before a 200-day expiry: the class is left out, not refused.
    expect(placeBackupTiers(["GLACIER_IR", "DEEP_ARCHIVE"], 90, 200)).toEqual([{ afterDays: 90, storageClass: "GLACIER_IR" }]);
    expect(placeBackupTiers(["GLACIER_IR", "DEEP_ARCHIVE"], 30, 365)).toEqual(PROFILE_DEFAULTS.prod.archive.backups.transitions);
    // Tiers the stack writes are its own, validated as written.
    expect(message({ ...prod, retention: { backupDailyDays: 90 }, archive: { backups: { transitions: [{ afterDays: 30, storageClass: "GLACIER_IR" }] } } })).toMatch(/transitions\[0\]\.afterDays: must be >= retention\.backupDailyDays \(90\).*set in this stack/);
  });
});

describe("image pins", () => {
  const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
  it.each([`docker.io/library/rabbitmq:3.13-management`, `registry.example.com/team/drill:1.7@${digest}`, `registry.example.com:5000/team/drill@${digest}`])("accepts %s", (ref) => {
    expect(imagePinProblem(ref)).toBeUndefined();
  });
  it.each([
    ["docker.io/library/rabbitmq", /must be pinned/],
    ["docker.io/library/rabbitmq:latest", /latest/],
    ["docker.io/library/rabbitmq@sha256:abc", /digest/],
    [`rabbitmq:3.13`, /registry\/repository/],
  ])("refuses %s", (ref, why) => {
    expect(imagePinProblem(ref)).toMatch(why);
  });

  it("a target's drillImage takes a digest and names its key when it is not pinned", () => {
    const target = (drillImage: string) => ({ ...prod, backups: { targets: [{ name: "mq", kind: "rabbitmq-definitions", url: "http://mq:15672", user: "u", passwordSecret: { name: "mq", key: "p" }, drillImage }] } });
    expect(() => resolveConfig(rawConfig(target(`registry.example.com/team/drill:1.7@${digest}`)))).not.toThrow();
    expect(configProblems(target("registry.example.com/team/drill:latest")).map((p) => p.key)).toEqual(["strata:backups.targets[0].drillImage"]);
  });
});
