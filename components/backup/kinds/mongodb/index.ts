import { IMAGES } from "../../../versions";
import { resources, runtimeJob, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";
import { MONGODB_ARTIFACT } from "./artifact";

/** The mongo image's own user. */
const MONGODB_UID = 999;

/** MongoDB: mongodump --archive of the whole deployment the URI reaches. */
export const mongodb: KindDriver<"mongodb"> = {
  kind: "mongodb",
  artifact: MONGODB_ARTIFACT,
  // One container of the mongo image (Ubuntu, glibc) running the runtime (components/backup/kinds/mongodb/runtime.ts):
  // mongodump's archive streams through the runtime's zstd to the upload, and the drill's throwaway mongod starts while
  // the object downloads. The runtime brings zstd, so archives are no longer gzip.
  backup: (t) => runtimeJob(MONGODB_UID, "backup", { image: IMAGES.mongo, env: [secretEnv("MONGODB_URI", t.uriSecret)], resources: resources("500m", "1Gi", "2") }, { compression: "zstd", fsGroup: MONGODB_UID }),
  drill: () => runtimeJob(MONGODB_UID, "drill", { image: IMAGES.mongo, resources: resources("1", "2Gi", "2") }, { compression: "zstd", fsGroup: MONGODB_UID }),
  drillProves: { restores: "mongorestore into a throwaway mongod, documents restored", realRestore: true },
  integrationSuite: {
    file: "test/integration/backup-kinds.test.ts",
    stubbed: "MongoDB cannot be installed here: the runtime runs against stubbed mongodump/mongod/mongorestore",
  },
  // The backup relative to the data it protects: a compressed mongodump archive ~ 1/3.
  capacity: { dumpRatio: 0.33 },
};
