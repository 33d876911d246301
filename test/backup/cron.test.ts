import { describe, expect, it } from "vitest";
import { cronScheduleProblem, goDurationSeconds, intervalHours } from "../../components/backup/cron";

/**
 * What a Kubernetes CronJob accepts as `spec.schedule`: the API server runs robfig/cron v3 `cron.ParseStandard`
 * (kubernetes/kubernetes pkg/apis/batch/validation/validation.go, validateScheduleFormat) and refuses a schedule
 * containing `TZ`. The expected verdicts below follow robfig/cron v3 parser.go (five fields, descriptors including
 * `@every <Go duration>`, `?` as `*`, names for month and day of week, day of week 0-6, `N/step` = N to max).
 */
const ACCEPTED = [
  "0 2 * * *",
  "*/15 * * * *",
  "0 */6 * * *",
  "5/15 * * * *",
  "0 1,13 * * *",
  "0 0 1-5/2 * *",
  "30 4 * * MON-FRI",
  "30 4 * * mon,wed,fri",
  "0 0 1 JAN,jul *",
  "0 0 ? * 0",
  "? * * * *",
  "1,,2 * * * *",
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
  "@every 6h",
  "@every 1h30m",
];

const REFUSED: [string, RegExp][] = [
  ["61 1 * * *", /got value 61 expected range 0-59/],
  ["0 24 * * *", /got value 24 expected range 0-23/],
  ["0 0 0 * *", /expected range 1-31/],
  ["0 0 * 13 *", /expected range 1-12/],
  ["0 0 * * 7", /days of week 0-6/],
  ["0 0 * * 5-7", /days of week 0-6/],
  ["*/0 * * * *", /cannot repeat at every 0/],
  ["5-1 * * * *", /Invalid range/],
  ["0 0 0 * * *", /exactly 5 fields .* found 6/],
  ["0 0 * *", /exactly 5 fields .* found 4/],
  ["0 0 L * *", /`L` in the day of month field/],
  ["0 0 * * 5L", /`L` in the day of week field/],
  ["0 0 * * 1#2", /`1#2` in the day of week field/],
  ["0 0 1W * *", /`W` in the day of month field/],
  ["H * * * *", /`H` in the minute field/],
  ["0 0 * * MONDAY", /`MONDAY` in the day of week field/],
  ["@DAILY", /not a descriptor Kubernetes knows/],
  ["@reboot", /not a descriptor Kubernetes knows/],
  ["@every 1d", /@every duration Go cannot parse/],
  ["CRON_TZ=Europe/Berlin 0 2 * * *", /TZ or CRON_TZ/],
  ["TZ=UTC 0 2 * * *", /TZ or CRON_TZ/],
];

describe("CronJob schedules, as Kubernetes reads them", () => {
  it.each(ACCEPTED)("accepts %s", (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
  });

  it.each(REFUSED)("refuses %s", (schedule, why) => {
    expect(cronScheduleProblem(schedule)).toMatch(why);
  });

  it("refuses a date that never comes (Kubernetes accepts it; the CronJob would never run)", () => {
    expect(cronScheduleProblem("0 0 30 2 *")).toMatch(/day of month/);
  });

  it("parses Go durations as time.ParseDuration does", () => {
    expect(goDurationSeconds("1h30m")).toBe(5400);
    expect(goDurationSeconds("1.5h")).toBe(5400);
    expect(goDurationSeconds("90s")).toBe(90);
    expect(goDurationSeconds("1d")).toBeUndefined();
    expect(goDurationSeconds("")).toBeUndefined();
  });
});

describe("intervalHours: the longest gap between runs", () => {
  it.each([
    ["0 2 * * *", 24],
    ["@daily", 24],
    ["@midnight", 24],
    ["@hourly", 1],
    ["@weekly", 168],
    ["@monthly", 31 * 24],
    ["@yearly", 365 * 24],
    ["@every 6h", 6],
    ["0 */6 * * *", 6],
    ["0 1,13 * * *", 12],
    ["0 1,5 * * *", 20],
    ["30 4 * * MON-FRI", 72],
    ["0 0 31 * *", 61 * 24],
  ])("%s runs at least every %d h", (schedule, hours) => {
    expect(intervalHours(schedule)).toBe(hours);
  });

  it("refuses to compute from a schedule Kubernetes refuses", () => {
    expect(() => intervalHours("61 1 * * *")).toThrow(/61/);
  });
});
