import { IMAGES } from "../../../versions";
import { dumpThenUpload, fetchThenRestore, resources, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";
import { MONGODB_ARTIFACT } from "./artifact";

/** The mongo image's own user. */
const MONGODB_UID = 999;

/** MongoDB: mongodump --archive of the whole deployment the URI reaches. */
export const mongodb: KindDriver<"mongodb"> = {
  kind: "mongodb",
  artifact: MONGODB_ARTIFACT,
  backup: (t) => dumpThenUpload(MONGODB_UID, { image: IMAGES.mongo, env: [secretEnv("MONGODB_URI", t.uriSecret)], resources: resources("500m", "1Gi", "2") }, { compression: "gzip", fsGroup: MONGODB_UID }),
  drill: () => fetchThenRestore(MONGODB_UID, { image: IMAGES.mongo, resources: resources("1", "2Gi", "2") }, { compression: "gzip", fsGroup: MONGODB_UID }),
  drillProves: { restores: "mongorestore into a throwaway mongod, documents restored", realRestore: true },
  integrationSuite: {
    file: "test/integration/backup-kinds.test.ts",
    stubbed: "MongoDB cannot be installed here: its scripts run against stubbed mongodump/mongod/mongorestore",
  },
  // The backup relative to the data it protects: mongodump --gzip ~ 1/3.
  capacity: { dumpRatio: 0.33 },
};
