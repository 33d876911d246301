/** The stored object of a Prometheus snapshot backup, as the manifest records it (the plan's driver and the runtime's). */
export const PROMETHEUS_SNAPSHOT_ARTIFACT = { format: "prometheus-tsdb-snapshot-tar", extension: "tar" } as const;
