import { IMAGES } from "../../../versions";
import { besidePods, env, resources, runtimeJob } from "../../containers";
import type { KindDriver } from "../driver";
import { SQLITE_ARTIFACT } from "./artifact";

/**
 * The sqlite kind's one container: the runtime in the node image itself, whose own SQLite (node:sqlite) takes the
 * online copy, checks and counts it (components/backup/kinds/sqlite/runtime.ts).
 */
export const SQLITE_SOURCE = {
  /** Where the application's claim is mounted (read-only) in the backup's container. */
  mountPath: "/var/lib/strata/sqlite-source",
  uid: 65532,
};

/** SQLite: an online backup of one database file on an application's claim, read beside its one writer. */
export const sqlite: KindDriver<"sqlite"> = {
  kind: "sqlite",
  artifact: SQLITE_ARTIFACT,
  backup: (t) => {
    const src = SQLITE_SOURCE;
    // The claim is ReadWriteOnce: only pods on the node where the writer runs can mount it, and the scheduler
    // does not place us there by itself, hence the required affinity to the writer's pod. SQLite's locks and
    // the -shm file's shared memory also only work between processes of one host.
    //
    // Read-only, in the volume source (not just the mount): the job can never change the application's files,
    // and Kubernetes skips its fsGroup ownership change on read-only volumes, which would otherwise re-own the
    // application's files. SQLite needs write access to the -shm file to take part in WAL locking, unless it
    // may open that file read-only: since 3.22 a reader opened with mode=ro reads a WAL database from read-only
    // files, mapping the -shm read-only and taking only shared locks, as long as the -wal and -shm files exist,
    // which they do while the writer has the database open (the runtime waits for that, then says why not).
    // One container, one uid: the scratch volume needs no shared group (no fsGroup at all).
    return runtimeJob(
      src.uid,
      "backup",
      {
        image: IMAGES.node,
        env: [env("SQLITE_PATH", `${src.mountPath}/${t.path}`)],
        resources: resources("250m", "512Mi", "1"),
        volumeMounts: [{ name: "sqlite-source", mountPath: src.mountPath, readOnly: true }],
      },
      {
        compression: "zstd",
        runAsGroup: src.uid,
        ...(t.writerFsGroup !== undefined ? { supplementalGroups: [t.writerFsGroup] } : {}),
        volumes: [{ name: "sqlite-source", persistentVolumeClaim: { claimName: t.claimName, readOnly: true } }],
        affinity: besidePods(t.writerSelector.matchLabels),
      },
    );
  },
  // Only the archive is needed: the drill runs in the backups namespace like the others, on any node.
  drill: () => runtimeJob(SQLITE_SOURCE.uid, "drill", { image: IMAGES.node, resources: resources("500m", "512Mi", "2") }, { compression: "zstd", fsGroup: SQLITE_SOURCE.uid }),
  // A pod mounts only claims of its own namespace: the job runs in the application's.
  jobNamespace: (t) => ({ application: t.namespace }),
  drillProves: { restores: "integrity_check and row counts of the restored file", realRestore: true },
  integrationSuite: { file: "test/integration/backup-sqlite.test.ts" },
  // The backup relative to the data it protects: an SQLite online copy compressed ~ 1/2.
  capacity: { dumpRatio: 0.5 },
  // The job mounts the claim itself; a target named after the service but on another claim does not count.
  coversClaim: (t, service, claim) => (t.namespace === claim.namespace && t.claimName === `${service}-data` ? "mounts the claim" : undefined),
};
