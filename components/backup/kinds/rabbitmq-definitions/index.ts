import { IMAGES } from "../../../versions";
import { env, resources, runtimeJob, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";
import { RABBITMQ_DEFINITIONS_ARTIFACT } from "./artifact";

/** The node image's own user, for the export (an HTTP GET: the runtime needs no other tool). */
const EXPORT_UID = 1000;
/** The rabbitmq image's own user (the broker refuses nothing as another uid, but its files expect this one). */
const RABBITMQ_UID = 999;

/** RabbitMQ: the broker's definitions (users, vhosts, queues, exchanges, bindings, policies), not its messages. */
export const rabbitmqDefinitions: KindDriver<"rabbitmq-definitions"> = {
  kind: "rabbitmq-definitions",
  artifact: RABBITMQ_DEFINITIONS_ARTIFACT,
  // The export and its object counts run in the runtime (components/backup/kinds/rabbitmq-definitions/runtime.ts) in
  // the node image itself: it is one HTTP GET of the management API.
  backup: (t) =>
    runtimeJob(
      EXPORT_UID,
      "backup",
      { image: IMAGES.node, env: [env("RABBITMQ_URL", t.url), env("RABBITMQ_USER", t.user), secretEnv("RABBITMQ_PASSWORD", t.passwordSecret)], resources: resources("100m", "320Mi", "1") },
      { compression: "zstd", fsGroup: EXPORT_UID },
    ),
  // The throwaway broker (Erlang wants about 256 MiB before it holds anything) beside the runtime, in the rabbitmq image
  // (Ubuntu, glibc).
  drill: (t) => runtimeJob(RABBITMQ_UID, "drill", { image: t.drillImage ?? IMAGES.rabbitmq, resources: resources("250m", "1Gi", "1") }, { compression: "zstd", fsGroup: RABBITMQ_UID }),
  drillProves: { restores: "import into a throwaway broker, objects it holds counted", realRestore: true },
  integrationSuite: { file: "test/integration/backup-rabbitmq.test.ts" },
  // The backup relative to the data it protects: RabbitMQ definitions are a small JSON, kept as is.
  capacity: { dumpRatio: 1 },
  partial: "definitions only: messages in the queues are not backed up",
};
