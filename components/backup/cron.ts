import { CronExpressionParser } from "cron-parser";

/**
 * Schedules as a Kubernetes CronJob reads them. The API server validates `spec.schedule` with robfig/cron v3's
 * `cron.ParseStandard` (kubernetes/kubernetes pkg/apis/batch/validation/validation.go, validateScheduleFormat) and
 * refuses any schedule containing `TZ` (use the CronJob's `timeZone` instead). ParseStandard (robfig/cron parser.go)
 * takes exactly five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-6 or
 * SUN-SAT; names case-insensitive), each a comma list of `*`, `?`, `N`, `N-M`, with an optional `/step` (`N/step` runs
 * N to the field's maximum), or one of the lowercase descriptors @yearly @annually @monthly @weekly @daily @midnight
 * @hourly, or `@every <Go duration>`. It knows no seconds field and no `L`, `W`, `#` or `H`; a day of week 7 is
 * refused. cron-parser does the field parsing and the run times; this module refuses what it accepts beyond that.
 */

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const FIELDS = ["minute", "hour", "day of month", "month", "day of week"] as const;
const NAMES: Partial<Record<(typeof FIELDS)[number], readonly string[]>> = {
  month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  "day of week": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

// Go's time.ParseDuration: a sequence of decimal numbers, each with a unit.
const GO_DURATION = /^(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;
const GO_UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds of a Go duration such as `1h30m`, or undefined when Go would refuse it. */
export function goDurationSeconds(text: string): number | undefined {
  if (text === "0") return 0;
  let rest = text;
  let total = 0;
  if (rest === "") return undefined;
  while (rest !== "") {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * GO_UNIT_SECONDS[match[3]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

type Parsed = { kind: "cron"; expression: string } | { kind: "every"; seconds: number };

function parse(schedule: string): Parsed | string {
  if (schedule.includes("TZ")) return "may not name a time zone (TZ or CRON_TZ): Kubernetes refuses it in a schedule; Strata's schedules are UTC";
  const text = schedule.trim();
  if (text.startsWith("@")) {
    if (text.startsWith("@every ")) {
      const seconds = goDurationSeconds(text.slice("@every ".length));
      // robfig rounds anything under a second up to one second; a CronJob runs at most once a minute anyway.
      return seconds === undefined ? "has an @every duration Go cannot parse (write e.g. `@every 6h` or `@every 1h30m`)" : { kind: "every", seconds: Math.max(seconds, 1) };
    }
    const expression = DESCRIPTORS[text];
    return expression ? { kind: "cron", expression } : `is not a descriptor Kubernetes knows (${Object.keys(DESCRIPTORS).join(", ")}, @every <duration>)`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `must have exactly 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}: Kubernetes has no seconds or year field`;
  for (const [i, field] of fields.entries()) {
    const name = FIELDS[i]!;
    // robfig splits lists with FieldsFunc, so empty list items are skipped; cron-parser refuses them.
    const items = field.split(",").filter((item) => item !== "");
    if (items.length === 0) return `has an empty ${name} field`;
    for (const item of items) {
      const words = item.match(/[A-Za-z]+/g) ?? [];
      const allowed = NAMES[name];
      for (const word of words) {
        if (!allowed?.includes(word.toLowerCase())) {
          return allowed
            ? `has \`${word}\` in the ${name} field: Kubernetes takes numbers or the names ${allowed.map((n) => n.toUpperCase()).join(", ")} there (no L, W, # or H)`
            : `has \`${word}\` in the ${name} field: Kubernetes takes only numbers, *, ?, ranges, lists and steps there (no L, W, # or H)`;
        }
      }
      if (/[^A-Za-z0-9*?/-]/.test(item)) return `has \`${item}\` in the ${name} field: only numbers, names, *, ?, -, / and , are allowed`;
      if (name === "day of week" && item.split("/")[0]!.split("-").includes("7")) {
        return "has 7 in the day of week field: Kubernetes counts days of week 0-6 (0 or SUN is Sunday)";
      }
    }
    fields[i] = items.join(",");
  }
  return { kind: "cron", expression: fields.join(" ") };
}

function cronParse(expression: string, currentDate?: Date) {
  return CronExpressionParser.parse(expression, { tz: "UTC", ...(currentDate ? { currentDate } : {}) });
}

/** Why Kubernetes would refuse this schedule, phrased for a config error, or undefined when it accepts it. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const parsed = parse(schedule);
  if (typeof parsed === "string") return parsed;
  if (parsed.kind === "every") return undefined;
  try {
    cronParse(parsed.expression);
    return undefined;
  } catch (error) {
    return `is not a valid cron schedule: ${(error as Error).message.replace(/^(Constraint|Validation) error, /, "")}`;
  }
}

// Gaps are measured over a year of runs from a fixed date, so the answer never depends on when the plan runs.
const FROM = new Date("2025-01-01T00:00:00Z");
const YEAR_MS = 366 * 24 * 3600 * 1000;
const MAX_RUNS = 2000;

/**
 * The longest gap between two runs of a schedule, in hours: "not succeeded within two intervals" alerts and the
 * dashboard's due times use it, so a schedule with uneven gaps (`0 1,13 * * *`, monthly on the 31st) is never
 * alerted on before its next run was due. Macros and `@every` count like the expression they stand for.
 */
export function intervalHours(schedule: string): number {
  const parsed = parse(schedule);
  if (typeof parsed === "string") throw new Error(`schedule ${JSON.stringify(schedule)} ${parsed}`);
  if (parsed.kind === "every") return parsed.seconds / 3600;
  const runs = cronParse(parsed.expression, FROM);
  let previous = runs.next().getTime();
  const first = previous;
  let longest = 0;
  for (let i = 0; i < MAX_RUNS && previous - first < YEAR_MS && runs.hasNext(); i++) {
    const next = runs.next().getTime();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest / 3_600_000;
}
