import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AccountContext } from './account-context';

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Prefix of the alias: the key is `alias/<namePrefix>-backend`. */
  readonly namePrefix: string;
  /**
   * Names of the log groups CloudWatch Logs may encrypt with this key; the key policy pins the
   * `kms:EncryptionContext:aws:logs:arn` condition to exactly these.
   */
  readonly logGroupNames: readonly string[];
  /**
   * Name of the SNS topic this key encrypts (stacks/constructs/alarms.ts): CloudWatch alarms and
   * EventBridge rules may then use the key for messages to that one topic, under a
   * `kms:EncryptionContext:aws:sns:topicArn` condition.
   * @default - no topic: neither service may use the key
   */
  readonly alertTopicName?: string;
  /**
   * Days of the waiting period before a scheduled deletion, 7 to 30.
   * @default 30
   */
  readonly deletionWindowDays?: number;
}

/**
 * AWS services that may use the key on behalf of a principal of this account, through the
 * `kms:ViaService` condition: Secrets Manager (the RDS-managed secret), RDS (storage and
 * Performance Insights) and Lambda (the function's environment variables).
 * Source: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
const VIA_SERVICES = ['secretsmanager', 'rds', 'lambda'] as const;

/** A service that may use the key on a principal's behalf; see {@link VIA_SERVICES}. */
export type KeyViaService = (typeof VIA_SERVICES)[number];

/**
 * Key administration actions (no cryptographic use), as in the console's default policy for key
 * administrators, less `kms:Create*`: that wildcard covers `kms:CreateGrant`, through which a
 * principal could give itself `kms:Decrypt` outside the services below. Only `kms:CreateAlias` is
 * kept; grants are allowed only to those services (`kms:GrantIsForAWSResource`).
 * Source: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** Cryptographic actions a service needs to encrypt and decrypt data keys with a KMS key. */
const KEY_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

/**
 * The services that publish to the alert topic, and what an AWS service needs to publish to an
 * SNS topic encrypted with a customer-managed key: CloudWatch alarms and EventBridge rules call SNS,
 * which calls KMS on their behalf with the topic ARN as encryption context. The AWS-managed
 * `aws/sns` key cannot be used this way: its policy cannot be changed.
 * Source: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
const ALERT_PUBLISHERS = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'];
const PUBLISHER_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/**
 * A customer-managed, rotating KMS key for the secret, the DB storage, the log groups, the
 * Lambda environment and the alert topic. Its policy lets the account administer the key but use
 * it only through Secrets Manager, RDS and Lambda (`kms:ViaService`), lets CloudWatch Logs use it
 * only for the named log groups, and CloudWatch and EventBridge only for messages to the alert
 * topic. About $1/month plus $0.03 per 10,000 requests (AWS KMS pricing).
 */
export class EncryptionKey extends Construct {
  /** The key's ARN. */
  readonly keyArn: string;
  /** The key resource. */
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const account = AccountContext.of(this);
    const accountRoot = `arn:${account.partition}:iam::${account.accountId}:root`;
    const viaServices = {
      'kms:CallerAccount': account.accountId,
      'kms:ViaService': VIA_SERVICES.map((s) => `${s}.${account.region}.amazonaws.com`),
    };
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AccountAdministersKey',
          Effect: 'Allow',
          Principal: { AWS: accountRoot },
          Action: KEY_ADMIN_ACTIONS,
          Resource: '*',
        },
        {
          Sid: 'AccountUsesKeyOnlyThroughServices',
          Effect: 'Allow',
          Principal: { AWS: accountRoot },
          Action: KEY_USE_ACTIONS,
          Resource: '*',
          Condition: { StringEquals: viaServices },
        },
        {
          // RDS and Lambda create grants for the resources they encrypt; no one else may.
          Sid: 'ServicesCreateGrantsForTheirResources',
          Effect: 'Allow',
          Principal: { AWS: accountRoot },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { StringEquals: viaServices, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
        {
          Sid: 'CloudWatchLogsEncryptsTheseLogGroups',
          Effect: 'Allow',
          Principal: { Service: `logs.${account.region}.amazonaws.com` },
          Action: KEY_USE_ACTIONS,
          Resource: '*',
          Condition: {
            ArnEquals: {
              'kms:EncryptionContext:aws:logs:arn': props.logGroupNames.map(
                (name) => `arn:${account.partition}:logs:${account.region}:${account.accountId}:log-group:${name}`,
              ),
            },
          },
        },
        ...(props.alertTopicName === undefined
          ? []
          : [
              {
                Sid: 'AlarmsAndRulesEncryptForTheAlertTopic',
                Effect: 'Allow',
                Principal: { Service: ALERT_PUBLISHERS },
                Action: PUBLISHER_KEY_ACTIONS,
                Resource: '*',
                Condition: {
                  StringEquals: {
                    'kms:EncryptionContext:aws:sns:topicArn': `arn:${account.partition}:sns:${account.region}:${account.accountId}:${props.alertTopicName}`,
                  },
                },
              },
            ]),
      ],
    };
    this.key = new KmsKey(this, 'key', {
      description: `${props.namePrefix} backend: RDS-managed secret, DB storage, log groups, Lambda environment`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: JSON.stringify(policy),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.namePrefix}-backend`, targetKeyId: this.key.keyId });
    this.keyArn = this.key.arn;
  }

  /**
   * An IAM statement that lets its principal decrypt with this key through `service` only:
   * `kms:Decrypt` on this key under `kms:ViaService` = `<service>.<region>.amazonaws.com`, nothing
   * else. The key policy leaves such use to IAM (`UseKeyOnlyThroughServices`), so a role without
   * this statement depends on the service's own grant alone.
   * Source: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
   */
  decryptViaStatement(service: KeyViaService, sid: string): object {
    return {
      Sid: sid,
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: this.keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `${service}.${AccountContext.of(this).region}.amazonaws.com` } },
    };
  }
}
