import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** AWS's longest deletion window: a scheduled key deletion can be cancelled for a month. */
export const KEY_DELETION_WINDOW_DAYS = 30;

export interface CustomerManagedKeyArgs {
  description: string;
  /** Alias name without the `alias/` prefix. */
  alias: string;
  /** The key policy document (JSON). */
  policy: pulumi.Input<string>;
  /** Region of the key when it is not the provider's (e.g. a replica key). */
  region?: pulumi.Input<string>;
  tags?: Record<string, string>;
  /** Options for the key itself: it guards data, so it is retained and (in prod) protected. */
  keyOptions: Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete">;
  /**
   * An existing key imported by its id instead of created; with `alias` (`alias/…`) its existing alias is imported
   * too and kept, otherwise `alias` above is created for it.
   */
  adopt?: { keyId: string; alias?: string };
}

/** A symmetric customer-managed KMS key with yearly rotation, the longest deletion window and an alias. */
export class CustomerManagedKey extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: CustomerManagedKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("strata:security:CustomerManagedKey", name, {}, opts);
    const regional = args.region ? { region: args.region } : {};
    const key = new aws.kms.Key(
      name,
      {
        description: args.description,
        enableKeyRotation: true,
        deletionWindowInDays: KEY_DELETION_WINDOW_DAYS,
        policy: args.policy,
        tags: args.tags ?? {},
        ...regional,
      },
      { parent: this, ...args.keyOptions, ...(args.adopt ? { import: args.adopt.keyId } : {}) },
    );
    const aliasName = args.adopt?.alias ?? `alias/${args.alias}`;
    const alias = new aws.kms.Alias(name, { name: aliasName, targetKeyId: key.keyId, ...regional }, { parent: this, ...(args.adopt?.alias ? { import: args.adopt.alias, protect: args.keyOptions.protect } : {}) });
    this.arn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
    this.registerOutputs({ arn: this.arn, aliasName: this.aliasName });
  }
}

export interface KeyPolicyArgs {
  accountId: string;
  partition: string;
  /** Principals (role/user ARNs) allowed to use the key, only through the given service. */
  users: { sid: string; principalArns: string[]; actions: string[]; viaService: string }[];
}

/** The account root may administer the key (policy, rotation, deletion, aliases, grants' revocation) but not use it. */
export function accountAdministersKey(root: pulumi.Input<string>) {
  return {
    Sid: "AccountAdministersTheKey",
    Effect: "Allow",
    Principal: { AWS: root },
    Action: [
      "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation",
      "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
      "kms:ListKeyPolicies", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion",
      "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    ],
    // In a key policy "*" means this key and nothing else.
    Resource: "*",
  };
}

/**
 * Administration stays with the account (delegated to IAM, so the key can never become unmanageable) but without
 * any data action; data actions go only to the named principals and only through the named service. Principals
 * are matched by `aws:PrincipalArn` rather than listed as principals, because KMS rejects a policy naming a role
 * that does not exist yet, and the roles are created in the same update as the key.
 */
export function keyPolicy(args: KeyPolicyArgs): string {
  const root = `arn:${args.partition}:iam::${args.accountId}:root`;
  const statements: object[] = [accountAdministersKey(root)];
  for (const user of args.users.filter((u) => u.principalArns.length > 0)) {
    statements.push({
      Sid: user.sid,
      Effect: "Allow",
      Principal: { AWS: root },
      Action: user.actions,
      Resource: "*",
      Condition: { StringEquals: { "kms:ViaService": user.viaService }, ArnLike: { "aws:PrincipalArn": [...user.principalArns].sort() } },
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
