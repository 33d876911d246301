import type { ResourcePolicy, Violation } from "../core/types";
import { IAM_POLICY_TYPES, actionsOf, allowStatements, iamDocuments, isBackupWriter } from "../core/iam";
import { EXCEPTIONS_SCHEMA, actionGrants, isExcepted } from "../core/util";

/**
 * A compromised or buggy backup job must not be able to destroy the backups it writes: backup writers (see
 * `isBackupWriter` in core/iam.ts) may put, never delete. Expiry is the bucket lifecycle's job.
 */
const policy: ResourcePolicy = {
  kind: "resource",
  name: "strata-iam-forbid-backup-deletes",
  description: "Backup writer permissions (tag strata:access=append or strata:role=backup-writer, or a name matching backup-*) never allow deleting objects or versions, or changing the bucket's lifecycle/versioning.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...EXCEPTIONS_SCHEMA,
      backupWriterTags: { type: "array", items: { type: "string" }, default: ["strata:access=append", "strata:role=backup-writer"], description: "`key=value` AWS tags that mark a backup writer." },
      backupWriterNamePatterns: { type: "array", items: { type: "string" }, default: ["backup-*", "*-backup-*", "*backup-writer*"], description: "Name patterns (logical name, or the role/user it attaches to) that mark a backup writer." },
      forbiddenActions: {
        type: "array",
        items: { type: "string" },
        default: ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:DeleteBucket"],
        description: "Actions a backup writer must not be granted (also through wildcards such as s3:Delete*).",
      },
    },
  },
  types: IAM_POLICY_TYPES,
  validate(r, ctx) {
    if (isExcepted(r, ctx) || !isBackupWriter(r, ctx.config)) return [];
    const forbidden: string[] = ctx.config.forbiddenActions ?? [];
    const out: Violation[] = [];
    for (const doc of iamDocuments(r)) {
      for (const s of allowStatements(doc.statements)) {
        const granted = forbidden.filter((f) => actionsOf(s).some((a) => actionGrants(a, f)));
        if (granted.length) out.push({ message: `backup writer ${r.name} ${doc.where} allows ${granted.join(", ")}.` });
      }
    }
    return out;
  },
};
export default policy;
