import { IMAGES } from "../../../versions";
import { dumpThenUpload, env, fetchThenRestore, PYTHON_ENV, resources, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";
import { RABBITMQ_DEFINITIONS_ARTIFACT } from "./artifact";

/** The python image's user for the export (it runs as any uid; the scratch volume is shared through fsGroup). */
const EXPORT_UID = 1000;
/** The rabbitmq image's own user (the broker refuses nothing as another uid, but its files expect this one). */
const RABBITMQ_UID = 999;

/** RabbitMQ: the broker's definitions (users, vhosts, queues, exchanges, bindings, policies), not its messages. */
export const rabbitmqDefinitions: KindDriver<"rabbitmq-definitions"> = {
  kind: "rabbitmq-definitions",
  artifact: RABBITMQ_DEFINITIONS_ARTIFACT,
  // The export and its object counts run in Python (rabbitmq_tool.py: urllib and json); no image with the AWS
  // CLI has a JSON parser the shell can use.
  backup: (t) =>
    dumpThenUpload(
      EXPORT_UID,
      { image: IMAGES.python, env: [...PYTHON_ENV, env("RABBITMQ_URL", t.url), env("RABBITMQ_USER", t.user), secretEnv("RABBITMQ_PASSWORD", t.passwordSecret)], resources: resources("100m", "256Mi", "1") },
      { compression: "gzip", fsGroup: EXPORT_UID },
    ),
  // The throwaway broker: Erlang wants about 256 MiB before it holds anything.
  drill: (t) => fetchThenRestore(RABBITMQ_UID, { image: t.drillImage ?? IMAGES.rabbitmq, resources: resources("250m", "768Mi", "1") }, { compression: "gzip", fsGroup: RABBITMQ_UID }),
  drillProves: { restores: "import into a throwaway broker, objects it holds counted", realRestore: true },
  integrationSuite: { file: "test/integration/backup-rabbitmq.test.ts" },
  // The backup relative to the data it protects: RabbitMQ definitions are a small JSON, kept as is.
  capacity: { dumpRatio: 1 },
  partial: "definitions only: messages in the queues are not backed up",
};
