import type { BackupKind, BackupTargetSpec } from "../targetSpec";
import type { Recipe } from "../containers";

/** The target spec of one kind. */
export type TargetOf<K extends BackupKind> = Extract<BackupTargetSpec, { kind: K }>;

/** What a kind's restore drill does, and whether that is a restore into a running copy of the store. */
export interface DrillProof {
  restores: string;
  realRestore: boolean;
  gap?: string;
}

/** Where a kind's backup and drill run for real: its integration suite, and why the store there is stubbed, if it is. */
export interface IntegrationSuite {
  file: string;
  stubbed?: string;
}

/** The phases a kind may add to backup and drill: PostgreSQL's physical base backup and point-in-time drill. */
export type ExtraPhase = "basebackup" | "pitr-drill";

/** The namespace a kind's backup job runs in (infra/namespaceRef.ts): by role, or the application's own. */
export type JobNamespace = { role: "backups" | "monitoring" } | { application: string };

/**
 * Everything the plan knows about one backup kind, in its folder (components/backup/kinds/<kind>/). Methods, not
 * function-valued properties, so that a kind's driver typed over its own target fits the Record over every kind.
 */
export interface KindDriver<K extends BackupKind = BackupKind> {
  kind: K;
  /** The stored object: `format` and `extension` as the manifest records them (the kind's artifact.ts, which its runtime part records too). */
  artifact: { format: string; extension: string };
  /** The backup job's pod. */
  backup(target: TargetOf<K>, monitoringNamespace: string): Recipe;
  /** The restore drill's pod (drills always run in the backups namespace: they need only the archive). */
  drill(target: TargetOf<K>): Recipe;
  /** A kind's own phases beside backup and drill (PostgreSQL's PITR: base backups and point-in-time drills). */
  phase?(phase: ExtraPhase, target: TargetOf<K>): Recipe;
  /** Where the backup job runs when not in the backups namespace: beside its data. */
  jobNamespace?(target: TargetOf<K>): JobNamespace;
  /** What the drill proves (the restorability matrix's drill column). */
  drillProves: DrillProof;
  /** The target's variant of what its drill proves, when the target changes it (TimescaleDB). */
  drillOfTarget?(target: TargetOf<K>): { restores: string; notTested?: string } | undefined;
  integrationSuite: IntegrationSuite;
  /** Size of one backup relative to the data it protects (the capacity planner); say why beside the number. */
  capacity: { dumpRatio: number };
  /** What the backup leaves out of the store's volume, when it is not the whole of it (claim coverage). */
  partial?: string;
  /**
   * Why a target of this kind protects claim `<service>-data` in `namespace`, when the kind has its own rule; the
   * default is a target named after the service (infra/restorability/coverage.ts).
   */
  coversClaim?(target: TargetOf<K>, service: string, claim: { namespace: string }): string | undefined;
}
