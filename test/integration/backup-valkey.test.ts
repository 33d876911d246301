/**
 * valkey for real: Debian's redis-server 7 on 127.0.0.1 with a password (Valkey forked from it and keeps its
 * protocol, `--rdb` and RDB format; the runtime takes valkey-* or redis-* binaries, whichever the image has), the
 * runtime (the bundle the plan ships), s3rver and a Pushgateway. The backup takes an RDB as a replica would and counts its keys
 * per database in a throwaway server; the drill loads the stored RDB in another and compares. Faults: a wrong
 * password, the server down, an RDB no server can load, keys that expire between the backup and the drill.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectEncryptedRoundTrip } from "./helpers/age";
import { jobEnv } from "./helpers/scripts";
import { putCraftedBackup, runRuntime as run } from "./helpers/runtime";
import { freePort, Pushgateway, S3, sleep, startPushgateway, startS3, startValkey, tempDir, Valkey } from "./helpers/servers";
import { BACKUP_JOB, BACKUP_METRICS, DRILL_JOB, DRILL_METRICS, EXIT } from "../../components/backup/contract";

let s3: S3;
let pgw: Pushgateway;
let valkey: Valkey;
let root: string;

const KIND = "valkey";
const env = (target: string, over: Record<string, string> = {}) => jobEnv(root, { s3, pushgatewayUrl: pgw.url }, KIND, target, over);
const backupEnv = (target: string, over: Record<string, string> = {}) =>
  env(target, { VALKEY_HOST: "127.0.0.1", VALKEY_PORT: String(valkey.port), VALKEY_PASSWORD: valkey.password, ...over });
const latest = (target: string) => JSON.parse(readFileSync(s3.objectPath(`${KIND}/${target}/latest.json`), "utf8"));

/** Writes `count` keys into database `db` in one server-side script; `extra` runs per key (e.g. a PEXPIRE). */
function fill(db: number, count: number, prefix: string, extra = "") {
  const r = valkey.cli("-n", String(db), "EVAL", `for i = 1, ${count} do redis.call('SET', KEYS[1] .. ':' .. i, i) ${extra} end return ${count}`, "1", prefix);
  expect(r.trim()).toBe(String(count));
}

beforeAll(async () => {
  root = tempDir("valkey-suite");
  [s3, pgw, valkey] = await Promise.all([startS3(), startPushgateway(), startValkey()]);
  fill(0, 1000, "user");
  fill(3, 50, "session");
  // Keys that expire a few seconds after the backup: a restore must still find every key the RDB holds.
  fill(0, 20, "shortlived", "redis.call('PEXPIRE', KEYS[1] .. ':' .. i, 10000)");
  valkey.cli("HSET", "profile:1", "name", "a", "plan", "b");
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([s3?.stop(), pgw?.stop(), valkey?.stop()]);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("valkey against a real server (redis-server 7)", () => {
  it("takes an RDB remotely with its keys per database; the drill loads it in a throwaway server, even after TTLs passed", async () => {
    const b = await run("backup", backupEnv("cache"));
    expect(b.code, b.stderr).toBe(0);
    const m = latest("cache");
    expect(m.key).toMatch(/^valkey\/cache\/\d{4}\/\d{2}\/\d{2}\/cache-\d{8}T\d{6}Z\.rdb\.zst$/);
    expect(m.format).toBe("valkey-rdb");
    expect(m.counts).toEqual({ db0: 1021, db3: 50 });
    // The password never appears on a command line the runtime builds (it goes through REDISCLI_AUTH).
    expect(b.stderr).not.toContain(valkey.password);

    // Until the TTLs have passed on the server (bounded), then the drill of the RDB taken before.
    for (let i = 0; i < 150 && valkey.cli("DBSIZE").trim() !== "1001"; i++) await sleep(100);
    expect(valkey.cli("DBSIZE").trim()).toBe("1001");
    const d = await run("drill", env("cache"));
    expect(d.stderr).toContain("counts match");
    expect(d.code, d.stderr).toBe(0);
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "cache")).toBe(1);
  }, 120_000);

  it("encrypted with age: only ciphertext stored; the drill decrypts with the identity and loads the RDB, the wrong one fails loudly", async () => {
    const m = await expectEncryptedRoundTrip({
      root, s3, pgw, kind: KIND, target: "cache-age", ext: "rdb.zst",
      backup: (extra) => run("backup", backupEnv("cache-age", extra)),
      drill: (extra) => run("drill", env("cache-age", extra)),
    });
    expect(m.counts.db3).toBe(50);
  }, 120_000);

  it("a wrong password fails the backup with the server's answer, and is pushed", async () => {
    const b = await run("backup", backupEnv("badpass", { VALKEY_PASSWORD: "wrong" }));
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/WRONGPASS|invalid password|AUTH failed/);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, "badpass")).toBe(0);
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastSuccess, KIND, "badpass")).toBeUndefined();
  });

  it("the server down fails the backup and leaves latest.json on the last good backup", async () => {
    const before = latest("cache");
    const b = await run("backup", backupEnv("cache", { VALKEY_PORT: String(await freePort()) }));
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("taking the RDB failed");
    expect(b.stderr).toMatch(/Connection refused|Could not connect/);
    expect(latest("cache")).toEqual(before);
  });

  it("no VALKEY_HOST is a configuration error naming it, pushed as a failure", async () => {
    const b = await run("backup", env("nohost"));
    expect(b.code).toBe(EXIT.config);
    expect(b.stderr).toContain("VALKEY_HOST is required for kind valkey");
    expect(await pgw.value(BACKUP_JOB, BACKUP_METRICS.lastRunSuccess, KIND, "nohost")).toBe(0);
  });

  it("a drill without valkey-server nor redis-server is a configuration error, pushed as a failed drill", async () => {
    const d = await run("drill", { ...env("cache"), PATH: "/nonexistent" });
    expect(d.code).toBe(EXIT.config);
    expect(d.stderr).toContain("neither valkey-server nor redis-server is installed");
    expect(d.stderr).not.toContain("counts match");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "cache")).toBe(0);
  });

  it("an RDB no server can load fails the drill, with the server's reason", async () => {
    await putCraftedBackup(s3, KIND, "corrupt", { bytes: "REDIS0009 this is not an RDB file at all", ext: "rdb", format: "valkey-rdb", counts: { db0: 1 } });
    const d = await run("drill", env("corrupt"));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("the throwaway server did not load the RDB");
    expect(await pgw.value(DRILL_JOB, DRILL_METRICS.lastRunSuccess, KIND, "corrupt")).toBe(0);
  });

  it("a manifest whose counts the RDB does not hold fails the drill (RESTORED DATA DIFFERS)", async () => {
    // A real RDB of the server, announced with one key more than it holds.
    const rdb = join(root, "real.rdb");
    valkey.cli("--rdb", rdb);
    await putCraftedBackup(s3, KIND, "miscounted", { bytes: readFileSync(rdb), ext: "rdb", format: "valkey-rdb", counts: { db0: 1002, db3: 50 } });
    const d = await run("drill", env("miscounted"));
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("RESTORED DATA DIFFERS");
    expect(d.stderr).toContain("db0: expected 1002, restored 1001");
  });
});
