/**
 * rabbitmq-definitions for real: a RabbitMQ broker (Debian's rabbitmq-server with the management plugin) on
 * 127.0.0.1, the runtime (the bundle the plan ships), s3rver and a Pushgateway. The backup GETs the definitions from the
 * broker's management API; the drill imports them into a throwaway broker of its own (rabbitmq-server and rabbitmqctl,
 * as the rabbitmq image runs them) and compares what that broker holds with the manifest. Faults: a wrong password,
 * the broker down, a document the broker rejects, a document that imports but restores fewer objects than it lists.
 */
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectEncryptedRoundTrip } from "./helpers/age";
import { jobEnv } from "./helpers/scripts";
import { putCraftedBackup, runRuntime } from "./helpers/runtime";
import { freePort, Pushgateway, RABBITMQ_BIN, RabbitMQ, S3, startPushgateway, startRabbitMQ, startS3, tempDir } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS } from "../../components/backup/contract";

let s3: S3;
let pgw: Pushgateway;
let rabbit: RabbitMQ;
let root: string;

const KIND = "rabbitmq-definitions";

function env(target: string, over: Record<string, string> = {}): Record<string, string> {
  const e = jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, target, over);
  return { ...e, PATH: `${RABBITMQ_BIN}:${e.PATH}` };
}
const backupEnv = (target: string, password = rabbit.password) => env(target, { RABBITMQ_URL: rabbit.url, RABBITMQ_USER: rabbit.user, RABBITMQ_PASSWORD: password });
/** The drill's throwaway broker registers with the suite's private epmd, on a port of its own. */
const drillEnv = async (target: string) => env(target, { ERL_EPMD_PORT: String(rabbit.epmdPort), RABBITMQ_DRILL_PORT: String(await freePort()), RABBITMQ_DRILL_DIST_PORT: String(await freePort()), RABBITMQ_DRILL_START_SECONDS: "120" });
const latest = (target: string) => JSON.parse(readFileSync(s3.objectPath(`${KIND}/${target}/latest.json`), "utf8"));

beforeAll(async () => {
  root = tempDir("rabbitmq-suite");
  [s3, pgw, rabbit] = await Promise.all([startS3(), startPushgateway(), startRabbitMQ()]);
  await rabbit.api("PUT", "/vhosts/orders", {});
  await rabbit.api("PUT", "/users/app", { password: "app-pw", tags: "" });
  await rabbit.api("PUT", "/permissions/orders/app", { configure: ".*", write: ".*", read: ".*" });
  await rabbit.api("PUT", "/queues/orders/orders.created", { durable: true, arguments: { "x-queue-type": "quorum" } });
  await rabbit.api("PUT", "/queues/orders/orders.dlq", { durable: true, arguments: {} });
  await rabbit.api("PUT", "/exchanges/orders/orders", { type: "topic", durable: true });
  await rabbit.api("POST", "/bindings/orders/e/orders/q/orders.created", { routing_key: "created" });
  await rabbit.api("PUT", "/policies/orders/dlq-ttl", { pattern: "^orders\\.dlq$", definition: { "message-ttl": 60000 }, "apply-to": "queues" });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), pgw?.stop(), rabbit?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

describe("rabbitmq-definitions against a real broker", () => {
  it("exports the definitions with their object counts; the drill imports them into a throwaway broker and finds the same objects", async () => {
    const b = await runRuntime("backup", backupEnv("rabbitmq"));
    expect(b.code, b.stderr).toBe(0);
    const defs = (await rabbit.api("GET", "/definitions")) as Record<string, unknown[]>;
    const m = latest("rabbitmq");
    expect(m.key).toMatch(/^rabbitmq-definitions\/rabbitmq\/\d{4}\/\d{2}\/\d{2}\/rabbitmq-\d{8}T\d{6}Z\.json\.zst$/);
    expect(m.counts).toEqual({
      vhosts: defs.vhosts!.length,
      users: defs.users!.length,
      permissions: defs.permissions!.length,
      policies: 1,
      queues: 2,
      exchanges: 1,
      bindings: 1,
    });
    expect(m.counts.vhosts).toBe(2);
    expect(m.counts.users).toBe(2);

    const d = await runRuntime("drill", await drillEnv("rabbitmq"), 240_000);
    expect(d.stderr).toContain("throwaway broker started");
    expect(d.stderr).toContain("counts match");
    expect(d.code, d.stderr).toBe(0);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "rabbitmq")).toBe(1);
  }, 300_000);

  it("encrypted with age: only ciphertext stored; the drill decrypts with the identity and imports into its broker, the wrong one fails loudly", async () => {
    const m = await expectEncryptedRoundTrip({
      root, s3, pgw, kind: KIND, target: "rabbitmq-age", ext: "json.zst",
      backup: (extra) => runRuntime("backup", { ...backupEnv("rabbitmq-age"), ...extra }),
      drill: async (extra) => runRuntime("drill", { ...(await drillEnv("rabbitmq-age")), ...extra }, 240_000),
    });
    expect(m.counts).toMatchObject({ policies: 1, queues: 2, exchanges: 1, bindings: 1 });
  }, 600_000);

  it("a document the broker rejects fails the drill with the broker's reason", async () => {
    const rejected = {
      rabbit_version: "3.10.8",
      vhosts: [{ name: "orders" }],
      users: [],
      permissions: [],
      // No RabbitMQ accepts a policy key it does not know.
      policies: [{ vhost: "orders", name: "bad", pattern: ".*", "apply-to": "queues", priority: 0, definition: { "no-such-policy-key": 1 } }],
      queues: [],
      exchanges: [],
      bindings: [],
    };
    const counts = { vhosts: 1, users: 0, permissions: 0, policies: 1, queues: 0, exchanges: 0, bindings: 0 };
    await putCraftedBackup(s3, KIND, "rejected", { bytes: JSON.stringify(rejected), ext: "json", format: "rabbitmq-definitions-json", counts });
    const d = await runRuntime("drill", await drillEnv("rejected"), 240_000);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("the broker rejected the definitions");
    expect(d.stderr).toContain("no-such-policy-key");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "rejected")).toBe(0);
  }, 300_000);

  it("a document that lists an object twice imports, but restores fewer objects than the manifest counts: the drill fails", async () => {
    const queue = { name: "twice", vhost: "/", durable: true, auto_delete: false, arguments: {} };
    const doubled = { rabbit_version: "3.10.8", vhosts: [{ name: "/" }], users: [], permissions: [], policies: [], queues: [queue, queue], exchanges: [], bindings: [] };
    const counts = { vhosts: 1, users: 0, permissions: 0, policies: 0, queues: 2, exchanges: 0, bindings: 0 };
    await putCraftedBackup(s3, KIND, "doubled", { bytes: JSON.stringify(doubled), ext: "json", format: "rabbitmq-definitions-json", counts });
    const d = await runRuntime("drill", await drillEnv("doubled"), 240_000);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("RESTORED DATA DIFFERS");
    expect(d.stderr).toContain("queues: expected 2, restored 1");
  }, 300_000);

  it("a wrong password fails the backup loudly with the API's answer, and is pushed", async () => {
    const b = await runRuntime("backup", backupEnv("badpass", "wrong"));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("HTTP 401");
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, "badpass")).toBe(0);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastSuccess, KIND, "badpass")).toBeUndefined();
  });

  it("the broker down fails the backup, says it cannot reach it, and leaves latest.json on the last good backup", async () => {
    const before = latest("rabbitmq");
    await rabbit.halt();
    const b = await runRuntime("backup", backupEnv("rabbitmq"));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("cannot reach");
    expect(latest("rabbitmq")).toEqual(before);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, "rabbitmq")).toBe(0);
  }, 120_000);
});
