import { IMAGES } from "../../../versions";
import { resources, S3, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";

/** The mongo image's own user. */
const MONGODB_UID = 999;

/** MongoDB: mongodump --archive of the whole deployment the URI reaches. */
export const mongodb: KindDriver<"mongodb"> = {
  kind: "mongodb",
  artifact: { format: "mongodump-archive", extension: "archive" },
  backup: (t) => ({
    compression: "gzip",
    fsGroup: MONGODB_UID,
    containers: [
      { name: "dump", image: IMAGES.mongo, args: ["backup.sh", "dump"], env: [secretEnv("MONGODB_URI", t.uriSecret)], resources: resources("500m", "1Gi", "2"), runAsUser: MONGODB_UID },
      S3("upload", ["backup.sh", "upload"], MONGODB_UID),
    ],
  }),
  drill: () => ({
    compression: "gzip",
    fsGroup: MONGODB_UID,
    containers: [S3("fetch", ["restore-drill.sh", "fetch"], MONGODB_UID), { name: "restore", image: IMAGES.mongo, args: ["restore-drill.sh", "restore"], resources: resources("1", "2Gi", "2"), runAsUser: MONGODB_UID }],
  }),
  drillProves: { restores: "mongorestore into a throwaway mongod, documents restored", realRestore: true },
  integrationSuite: {
    file: "test/integration/backup-kinds.test.ts",
    stubbed: "MongoDB cannot be installed here: its scripts run against stubbed mongodump/mongod/mongorestore",
  },
  capacity: { dumpRatio: 0.33, why: "mongodump --gzip ~ 1/3" },
};
