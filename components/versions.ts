/**
 * Every Helm chart and container image Strata deploys, pinned, in one place; docs/versions.md explains each choice
 * and test/versions.test.ts keeps the two in step. Upgrading means changing a line here, reading the chart's
 * changelog, and re-running the value-path checks against the new chart defaults in ../shared/charts.
 */
export const CHARTS = {
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
  // The monitoring.coreos.com CRDs at the operator version kube-prometheus-stack 88.5.3 ships (appVersion v0.93.1),
  // installed before anything that uses them; kube-prometheus-stack's own copy is off (crds.enabled: false).
  prometheusOperatorCrds: { chart: "prometheus-operator-crds", version: "31.0.1", repo: "https://prometheus-community.github.io/helm-charts" },
  // The Thanos community chart: maintained by Thanos maintainers, ships a values.schema.json and upstream
  // quay.io/thanos images (Bitnami's chart defaults to images that no longer pull).
  thanos: { chart: "thanos", version: "0.38.0", repo: "oci://ghcr.io/thanos-community/helm-charts" },
  pushgateway: { chart: "prometheus-pushgateway", version: "3.8.0", repo: "https://prometheus-community.github.io/helm-charts" },
} as const;

export interface ImagePin {
  registry: string;
  repository: string;
  tag: string;
  /** The C library of an image the backup runtime runs in, where it is not glibc: which node binary is copied in. */
  libc?: "musl";
}

export const IMAGES = {
  // The charts' own defaults, made explicit so an image never changes without a commit here.
  prometheus: { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.14.0-distroless" },
  alertmanager: { registry: "quay.io", repository: "prometheus/alertmanager", tag: "v0.34.0" },
  thanos: { registry: "quay.io", repository: "thanos/thanos", tag: "v0.42.4" },
  pushgateway: { registry: "quay.io", repository: "prometheus/pushgateway", tag: "v1.11.3" },
  // Backup and drill jobs: the S3/report phase needs the AWS CLI v2, bash and curl.
  awsCli: { registry: "docker.io", repository: "amazon/aws-cli", tag: "2.37.5" },
  // Dumps and drills of PostgreSQL 15 (bash, pg_dump/pg_restore/initdb, and zstd, which the official image ships).
  postgres15: { registry: "docker.io", repository: "library/postgres", tag: "15.18-bookworm" },
  // The drill of a postgresql target with `timescaledb: true` (seed 002's telemetry on TimescaleDB): the extension
  // on PostgreSQL 15, the major the dumps are restored with. Alpine (musl), so the postgres user is uid 70 and the
  // runtime runs with node's musl build (nodeMusl).
  timescaledb15: { registry: "docker.io", repository: "timescale/timescaledb", tag: "2.17.2-pg15", libc: "musl" },
  // mongodump, mongorestore and mongod (Ubuntu 24.04, glibc), for the runtime's mongodb part.
  mongo: { registry: "docker.io", repository: "library/mongo", tag: "8.0.17-noble" },
  // The rabbitmq-definitions drill's throwaway broker: rabbitmq-server and rabbitmqctl (Ubuntu 24.04, glibc, for the
  // runtime); the plain image, since the drill needs no management plugin.
  rabbitmq: { registry: "docker.io", repository: "library/rabbitmq", tag: "4.2.1" },
  // The valkey kind's dump and drill: valkey-cli (--rdb) and valkey-server (the throwaway server that loads the RDB),
  // Debian 13 (glibc), for the runtime.
  valkey: { registry: "docker.io", repository: "valkey/valkey", tag: "9.0.0-trixie" },
  // The busybox-based (not distroless) Prometheus image, only to copy its static promtool and prometheus into a drill pod.
  promtool: { registry: "quay.io", repository: "prometheus/prometheus", tag: "v3.14.0" },
  // Client-side encryption of backups: age and age-keygen, copied by an init container into the job's scratch volume.
  // age publishes release binaries but no image; helmfile's image installs age v1.2.1's static release build at
  // /usr/local/bin (its Dockerfile, AGE_VERSION) on Alpine, which has the sh and cp the copy needs.
  age: { registry: "ghcr.io", repository: "helmfile/helmfile", tag: "v1.7.4" },
  // The backup runtime's interpreter (components/backup/runtime/): an init container copies the official image's node
  // binary into the job's scratch volume, where the tool's own (Debian or Ubuntu, glibc) image runs the bundle with it.
  // The version the tests run the bundle with (scripts/ensure-node.sh's, which scripts/setup.sh installs;
  // test/versions.test.ts keeps them equal), so what the suites prove is what the pods run.
  node: { registry: "docker.io", repository: "library/node", tag: "24.21.0-bookworm-slim" },
  // The same Node version's musl build, for the runtime in Alpine images (libc: "musl"): it needs libstdc++ and
  // libgcc, which the postgres Alpine images TimescaleDB's builds on carry (ICU and LLVM, which postgres links, are C++).
  nodeMusl: { registry: "docker.io", repository: "library/node", tag: "24.21.0-alpine" },
} as const satisfies Record<string, ImagePin>;

export const imageRef = (image: ImagePin) => `${image.registry}/${image.repository}:${image.tag}`;
