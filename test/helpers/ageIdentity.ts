/**
 * age identities for tests (made with `age-keygen` for this purpose; they protect nothing). What the stacks in the
 * tests write as `strata:backupAgeIdentity`.
 */
export const TEST_AGE_IDENTITY = "AGE-SECRET-KEY-16DCULP2VA24RD7WZGA2GSQPE3RATL5R2X42AYWS40Z8CT4MJYWTSRC6ADK";
export const OTHER_AGE_IDENTITY = "AGE-SECRET-KEY-1JQ9E2K56TU8A278Y3TZRQFTWZ8VS5ZMNPMZQT2DN2V97FFA4U0CQG9KUX9";
