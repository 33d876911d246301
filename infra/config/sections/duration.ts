/**
 * Durations as Prometheus and Alertmanager read them (prometheus/common model.ParseDuration): units y, w, d, h, m, s,
 * ms, largest first, each at most once, such as `1w`, `1h30m` or `30s`.
 */
export const PROMETHEUS_DURATION = /^(?!$)((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/;

const UNIT_SECONDS = [365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001];

export function promDurationSeconds(duration: string): number {
  const match = PROMETHEUS_DURATION.exec(duration);
  if (!match) throw new Error(`${JSON.stringify(duration)} is not a Prometheus duration`);
  return UNIT_SECONDS.reduce((sum, unit, i) => sum + Number(match[2 * i + 2] ?? 0) * unit, 0);
}
