// Issue 23 item 4: backup targets are resolved once (infra/backupTargets.ts) and handed to every area; no area
// rebuilds the list, its schedules, namespaces, prefixes or identity keys.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../infra/config/load";
import { PROJECT_DIR } from "../infra/projectDir";
import { resolveBackups } from "../infra/backupTargets";
import { defaultBackupSchedule, defaultDrillSchedule } from "../components/backup/schedule";
import { rawConfig } from "./helpers/configProblems";
import { SQLITE_TARGET } from "./helpers/backupTargets";

/** A stack as a user writes it: a PostgreSQL database with PITR and a nightly schedule, a SQLite file, telemetry in SQLite. */
function shopConfig() {
  return resolveConfig(
    rawConfig({
      profile: "prod",
      region: "eu-central-1",
      cluster: { source: "stack", stack: "acme/clusters/test" },
      storage: { claims: { orders: { namespace: "orders", size: "10Gi" } } },
      backups: {
        targets: [
          { name: "shop-db", kind: "postgresql", schedule: "0 2 * * *", host: "pg.shop.svc.cluster.local", database: "shop", user: "backup", passwordSecret: { name: "pg", key: "password" }, pitr: { enabled: true, serverMajorVersion: 15 } },
          SQLITE_TARGET,
        ],
      },
    }),
  ).config;
}

describe("resolveBackups", () => {
  it("resolves each target's schedules, namespaces, prefixes, identities and protected claims once", () => {
    const resolved = resolveBackups(shopConfig());
    expect(resolved.targets.map((r) => [r.target.name, r.source])).toEqual([
      ["shop-db", "backups.targets"],
      ["orders", "backups.targets"],
    ]);
    const [db, orders] = resolved.targets;
    expect(db).toMatchObject({ schedule: "0 2 * * *", drillSchedule: defaultDrillSchedule("shop-db"), intervalHours: 24, jobNamespace: { role: "backups" }, prefix: "postgresql/shop-db/" });
    expect(db!.pitr).toMatchObject({ rpoSeconds: 60, serverMajorVersion: 15, slot: "strata_shop_db" });
    expect(db!.identities).toEqual({
      backup: { workload: "backup-shop-db", serviceAccount: "strata-backup-shop-db", namespace: { role: "backups" }, prefix: "postgresql/shop-db/" },
      drill: { workload: "drill-shop-db", serviceAccount: "strata-drill-shop-db", namespace: { role: "backups" }, prefix: "postgresql/shop-db/" },
      wal: { workload: "wal-shop-db", serviceAccount: "strata-wal-shop-db", namespace: { role: "backups" }, prefix: "postgresql/shop-db/wal/" },
    });
    // A SQLite copy runs beside the application's claim; its drill in the backups namespace; no PITR, no WAL identity.
    expect(orders).toMatchObject({ schedule: defaultBackupSchedule("orders"), jobNamespace: { application: "orders" }, prefix: "sqlite/orders/", protectsClaims: ["orders/orders-data"] });
    expect(orders!.identities.drill.namespace).toEqual({ role: "backups" });
    expect(orders!.identities.wal).toBeUndefined();
    expect(orders!.pitr).toBeUndefined();
    expect(resolved.applicationNamespaces).toEqual(["orders"]);
    expect(resolved.prometheusSnapshots).toBe(false);
  });
});

describe("no area recomputes the targets", () => {
  const files = [...readdirSync(join(PROJECT_DIR, "infra", "areas")).map((f) => `infra/areas/${f}`), "infra/program.ts"].filter((f) => f.endsWith(".ts"));
  // What rebuilding looked like: the target list, its namespaces or schedules derived again, or an identity looked up
  // by a key rebuilt from the target's name (`identityComponents[\`backup-${t.name}\`]!`).
  const REBUILDS = [/allBackupTargets\(/, /backupJobNamespace\(/, /scheduledTargets\(/, /pitrSettings\(/, /config\.backups\.targets/, /\b(identityComponents|identities|identityNames)\[`/];

  it.each(files)("%s reads platform.backups instead", (file) => {
    const source = readFileSync(join(PROJECT_DIR, file), "utf8");
    expect(REBUILDS.filter((r) => r.test(source)).map(String)).toEqual([]);
  });

  it("the check catches what the areas used to do", () => {
    const before = "dependsOn: [inputs.archive.identityComponents[`backup-${t.name}`]!]; const ts = allBackupTargets(config);";
    expect(REBUILDS.filter((r) => r.test(before)).length).toBe(2);
  });
});
