// The pack: every policy, one per file. Adding a policy = adding its file and a line here (see README.md).
import type { StrataPolicy } from "../core/types";
import backupRequireRestoreDrill from "./backup-require-restore-drill";
import cronjobLimitLatenessAndHistory from "./cronjob-limit-lateness-and-history";
import cronjobRequireRunLimits from "./cronjob-require-run-limits";
import customresourceRequireCrdFirst from "./customresource-require-crd-first";
import dlmRequireEnabledRetention from "./dlm-require-enabled-retention";
import dlmRequireStorageclassTargetTag from "./dlm-require-storageclass-target-tag";
import hcloudvolumeRequireDeleteProtection from "./hcloudvolume-require-delete-protection";
import helmRequirePinnedChart from "./helm-require-pinned-chart";
import helmRequirePinnedImages from "./helm-require-pinned-images";
import iamForbidBackupDeletes from "./iam-forbid-backup-deletes";
import iamForbidStaticCredentials from "./iam-forbid-static-credentials";
import iamForbidWildcardActions from "./iam-forbid-wildcard-actions";
import iamForbidWildcardResources from "./iam-forbid-wildcard-resources";
import kmsRequireDeletionWindow from "./kms-require-deletion-window";
import kmsRequireRotation from "./kms-require-rotation";
import podForbidLiteralCredentials from "./pod-forbid-literal-credentials";
import podRequireResources from "./pod-require-resources";
import podRequireRestrictedSecurity from "./pod-require-restricted-security";
import pvcLimitHcloudMinimumSize from "./pvc-limit-hcloud-minimum-size";
import pvcRequireBackupTarget from "./pvc-require-backup-target";
import pvcRequireApprovedClass from "./pvc-require-approved-class";
import retentionRequireOrdering from "./retention-require-ordering";
import s3ForbidArchiveTransition from "./s3-forbid-archive-transition";
import s3ForbidForceDestroy from "./s3-forbid-force-destroy";
import s3RequireBucketControls from "./s3-require-bucket-controls";
import s3RequireKmsEncryption from "./s3-require-kms-encryption";
import s3RequireLifecycleCleanup from "./s3-require-lifecycle-cleanup";
import s3RequireOwnerEnforced from "./s3-require-owner-enforced";
import s3RequirePublicAccessBlock from "./s3-require-public-access-block";
import s3RequireSecureTransport from "./s3-require-secure-transport";
import s3RequireVersioning from "./s3-require-versioning";
import secretForbidPlaintext from "./secret-forbid-plaintext";
import statefulRequireProtection from "./stateful-require-protection";
import storageclassRequireEncryption from "./storageclass-require-encryption";
import storageclassRequireExpansion from "./storageclass-require-expansion";
import storageclassRequireRetain from "./storageclass-require-retain";
import thanosRequireReplicaDedup from "./thanos-require-replica-dedup";
import thanosRequireSingleCompactor from "./thanos-require-single-compactor";
import workloadRequirePinnedImages from "./workload-require-pinned-images";

export const POLICIES: readonly StrataPolicy[] = [
  backupRequireRestoreDrill,
  cronjobLimitLatenessAndHistory,
  cronjobRequireRunLimits,
  customresourceRequireCrdFirst,
  dlmRequireEnabledRetention,
  dlmRequireStorageclassTargetTag,
  hcloudvolumeRequireDeleteProtection,
  helmRequirePinnedChart,
  helmRequirePinnedImages,
  iamForbidBackupDeletes,
  iamForbidStaticCredentials,
  iamForbidWildcardActions,
  iamForbidWildcardResources,
  kmsRequireDeletionWindow,
  kmsRequireRotation,
  podForbidLiteralCredentials,
  podRequireResources,
  podRequireRestrictedSecurity,
  pvcLimitHcloudMinimumSize,
  pvcRequireBackupTarget,
  pvcRequireApprovedClass,
  retentionRequireOrdering,
  s3ForbidArchiveTransition,
  s3ForbidForceDestroy,
  s3RequireBucketControls,
  s3RequireKmsEncryption,
  s3RequireLifecycleCleanup,
  s3RequireOwnerEnforced,
  s3RequirePublicAccessBlock,
  s3RequireSecureTransport,
  s3RequireVersioning,
  secretForbidPlaintext,
  statefulRequireProtection,
  storageclassRequireEncryption,
  storageclassRequireExpansion,
  storageclassRequireRetain,
  thanosRequireReplicaDedup,
  thanosRequireSingleCompactor,
  workloadRequirePinnedImages,
];
