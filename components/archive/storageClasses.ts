/**
 * S3 storage classes an archive tier may use, with the rules S3 and its pricing impose. Kept as data so config
 * validation, lifecycle building and the policy pack all reason from the same facts.
 *  - minTransitionDays: S3 rejects a lifecycle transition to the class earlier than this (IA classes: 30 days).
 *  - minStorageDays: objects deleted or moved earlier are billed for the remainder (early deletion fee).
 *  - directRead: objects can be read with a plain GET; GLACIER and DEEP_ARCHIVE need a restore first, so a reader
 *    such as the Thanos store gateway or Loki would fail on them.
 * ONEZONE_IA is deliberately absent: a single-AZ class is not an archive.
 */
export const ARCHIVE_STORAGE_CLASSES = {
  STANDARD_IA: { order: 1, minTransitionDays: 30, minStorageDays: 30, directRead: true },
  INTELLIGENT_TIERING: { order: 2, minTransitionDays: 0, minStorageDays: 0, directRead: true },
  GLACIER_IR: { order: 3, minTransitionDays: 0, minStorageDays: 90, directRead: true },
  GLACIER: { order: 4, minTransitionDays: 0, minStorageDays: 90, directRead: false },
  DEEP_ARCHIVE: { order: 5, minTransitionDays: 0, minStorageDays: 180, directRead: false },
} as const;

export type ArchiveStorageClass = keyof typeof ARCHIVE_STORAGE_CLASSES;
export const ARCHIVE_STORAGE_CLASS_NAMES = Object.keys(ARCHIVE_STORAGE_CLASSES) as ArchiveStorageClass[];
export const DIRECTLY_READABLE_CLASSES = ARCHIVE_STORAGE_CLASS_NAMES.filter((c) => ARCHIVE_STORAGE_CLASSES[c].directRead);

/** Buckets are tagged with their purpose; readers of `metrics` and `logs` read every object directly. */
export const BUCKET_PURPOSES = ["metrics", "logs", "backups"] as const;
export type BucketPurpose = (typeof BUCKET_PURPOSES)[number];
export const PURPOSE_TAG = "strata:purpose";
export const DIRECT_READ_PURPOSES: readonly BucketPurpose[] = ["metrics", "logs"];

export interface Transition {
  afterDays: number;
  storageClass: ArchiveStorageClass;
}

/**
 * Everything wrong with a chain of transitions ending in an expiration, as messages. Transitions must move down the
 * S3 waterfall in time order, honour each class's minimum transition age, leave an IA class only after 30 days in
 * it, and keep every object in its last class for that class's minimum storage duration before it expires.
 */
export function transitionProblems(transitions: readonly Transition[], expireAfterDays: number): { index: number | "expiration"; message: string }[] {
  const problems: { index: number | "expiration"; message: string }[] = [];
  transitions.forEach((t, i) => {
    const rules = ARCHIVE_STORAGE_CLASSES[t.storageClass];
    if (t.afterDays < rules.minTransitionDays) {
      problems.push({ index: i, message: `${t.storageClass} needs afterDays >= ${rules.minTransitionDays} (an S3 rule)` });
    }
    if (t.afterDays >= expireAfterDays) {
      problems.push({ index: i, message: `afterDays must be earlier than the expiration at day ${expireAfterDays}` });
    }
    const previous = transitions[i - 1];
    if (previous) {
      if (t.afterDays <= previous.afterDays) problems.push({ index: i, message: `afterDays must be later than the previous transition (day ${previous.afterDays})` });
      if (ARCHIVE_STORAGE_CLASSES[previous.storageClass].order >= rules.order) {
        problems.push({ index: i, message: `${t.storageClass} cannot follow ${previous.storageClass}: S3 transitions only move to colder classes` });
      }
      const stay = Math.max(ARCHIVE_STORAGE_CLASSES[previous.storageClass].minStorageDays, previous.storageClass === "STANDARD_IA" ? 30 : 0);
      if (t.afterDays - previous.afterDays < stay) {
        problems.push({ index: i, message: `objects must stay ${stay} days in ${previous.storageClass} (from day ${previous.afterDays}) before moving on` });
      }
    }
  });
  const last = transitions.at(-1);
  if (last && expireAfterDays - last.afterDays < ARCHIVE_STORAGE_CLASSES[last.storageClass].minStorageDays) {
    problems.push({ index: "expiration", message: `objects expiring at day ${expireAfterDays} spend only ${expireAfterDays - last.afterDays} days in ${last.storageClass}, below its ${ARCHIVE_STORAGE_CLASSES[last.storageClass].minStorageDays}-day minimum storage duration` });
  }
  return problems;
}
