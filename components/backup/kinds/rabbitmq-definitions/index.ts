import { IMAGES } from "../../../versions";
import { env, PYTHON_ENV, resources, S3, secretEnv } from "../../containers";
import type { KindDriver } from "../driver";

/** The python image's user for the export (it runs as any uid; the scratch volume is shared through fsGroup). */
const EXPORT_UID = 1000;
/** The rabbitmq image's own user (the broker refuses nothing as another uid, but its files expect this one). */
const RABBITMQ_UID = 999;

/** RabbitMQ: the broker's definitions (users, vhosts, queues, exchanges, bindings, policies), not its messages. */
export const rabbitmqDefinitions: KindDriver<"rabbitmq-definitions"> = {
  kind: "rabbitmq-definitions",
  artifact: { format: "rabbitmq-definitions-json", extension: "json" },
  // The export and its object counts run in Python (rabbitmq_tool.py: urllib and json); no image with the AWS
  // CLI has a JSON parser the shell can use.
  backup: (t) => ({
    compression: "gzip",
    fsGroup: EXPORT_UID,
    containers: [
      {
        name: "dump",
        image: IMAGES.python,
        args: ["backup.sh", "dump"],
        env: [...PYTHON_ENV, env("RABBITMQ_URL", t.url), env("RABBITMQ_USER", t.user), secretEnv("RABBITMQ_PASSWORD", t.passwordSecret)],
        resources: resources("100m", "256Mi", "1"),
        runAsUser: EXPORT_UID,
      },
      S3("upload", ["backup.sh", "upload"], EXPORT_UID),
    ],
  }),
  drill: (t) => ({
    compression: "gzip",
    fsGroup: RABBITMQ_UID,
    containers: [
      S3("fetch", ["restore-drill.sh", "fetch"], RABBITMQ_UID),
      // The throwaway broker: Erlang wants about 256 MiB before it holds anything.
      { name: "restore", image: t.drillImage ?? IMAGES.rabbitmq, args: ["restore-drill.sh", "restore"], resources: resources("250m", "768Mi", "1"), runAsUser: RABBITMQ_UID },
    ],
  }),
  drillProves: { restores: "import into a throwaway broker, objects it holds counted", realRestore: true },
  integrationSuite: { file: "test/integration/backup-rabbitmq.test.ts" },
  capacity: { dumpRatio: 1, why: "RabbitMQ definitions are a small JSON, kept as is" },
  partial: "definitions only: messages in the queues are not backed up",
};
