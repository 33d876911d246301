import { IMAGES } from "../../../versions";
import { env, resources, runtimeJob, secretEnv } from "../../containers";
import { VALKEY_ARTIFACT } from "./artifact";
import type { KindDriver, TargetOf } from "../driver";

/** The valkey image's own user. */
const VALKEY_UID = 999;

const valkeyEnv = (t: TargetOf<"valkey">) => [
  env("VALKEY_HOST", t.host),
  env("VALKEY_PORT", t.port ?? 6379),
  env("VALKEY_DATABASES", t.databases ?? 16),
  ...(t.passwordSecret ? [secretEnv("VALKEY_PASSWORD", t.passwordSecret)] : []),
];

/**
 * The throwaway server that loads the RDB holds the whole dataset: the target says how much memory that takes; the
 * runtime beside it up to 256 MiB.
 */
const valkeyResources = (t: TargetOf<"valkey">) => resources("250m", `${(t.memoryGiB ?? 2) * 1024 + 256}Mi`, "1");

/** Valkey (or Redis): an RDB fetched from the server with valkey-cli --rdb. */
export const valkey: KindDriver<"valkey"> = {
  kind: "valkey",
  artifact: VALKEY_ARTIFACT,
  // One container of the valkey image running the runtime (components/backup/kinds/valkey/runtime.ts). It keeps the
  // RDB in scratch space and loads it once in a throwaway server for its key counts: scratchSizeGiB and memoryGiB must
  // hold the dataset. zstd comes with the runtime, so the image's lack of it no longer makes RDBs gzip.
  backup: (t) => runtimeJob(VALKEY_UID, "backup", { image: t.image ?? IMAGES.valkey, env: valkeyEnv(t), resources: valkeyResources(t) }, { compression: "zstd", fsGroup: VALKEY_UID }),
  drill: (t) => runtimeJob(VALKEY_UID, "drill", { image: t.image ?? IMAGES.valkey, env: [env("VALKEY_DATABASES", t.databases ?? 16)], resources: valkeyResources(t) }, { compression: "zstd", fsGroup: VALKEY_UID }),
  drillProves: { restores: "RDB loaded in a throwaway server, keys per database", realRestore: true },
  integrationSuite: { file: "test/integration/backup-valkey.test.ts" },
  // The backup relative to the data it protects: a Valkey RDB (strings already LZF-compressed) compressed ~ 1/2 of
  // its volume, which holds the RDB/AOF (assumed, not measured).
  capacity: { dumpRatio: 0.5 },
};
