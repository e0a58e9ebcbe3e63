import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { dev, prod } from '../../support/environments';
import { DATABASE_SECURITY_GROUP_DESCRIPTION } from '../../../stacks/constructs/database';
import type { EnvironmentConfig } from '../../../config/types';
import { nameWhere, onlyResource, ref, resourcesOf, synthStack, withField } from '../../support/synth';

describe('Database', () => {
  const devStack = synthStack(dev);
  const prodStack = synthStack(prod);
  const sg = (doc: typeof devStack.doc, name: string) => nameWhere(doc, 'aws_security_group', 'name', name);

  it('lets RDS manage the master password in Secrets Manager, with no password in the synthesized JSON', () => {
    for (const { json, doc } of [devStack, prodStack]) {
      const { body } = onlyResource(doc, 'aws_db_instance');
      expect(body.manage_master_user_password).toBe(true);
      expect(body.password).toBeUndefined();
      expect(body.password_wo).toBeUndefined();
      expect(json).not.toMatch(/"password"\s*:/);
      expect(doc.resource.aws_secretsmanager_secret_version).toBeUndefined();
      expect(doc.resource.random_password).toBeUndefined();
    }
  });

  it('encrypts storage, stays private, keeps backups and exports the postgresql and upgrade logs', () => {
    expect(devStack.json).toHaveResourceWithProperties(DbInstance, {
      identifier: 'workshop-backend-db',
      engine: 'postgres',
      engine_version: '17',
      instance_class: 'db.t4g.micro',
      storage_encrypted: true,
      publicly_accessible: false,
      backup_retention_period: 7,
      copy_tags_to_snapshot: true,
      auto_minor_version_upgrade: true,
      ca_cert_identifier: 'rds-ca-rsa2048-g1',
      enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'],
    });
  });

  it('declares the export log groups before the instance, so RDS does not create them without retention', () => {
    const { body } = onlyResource(devStack.doc, 'aws_db_instance');
    const groups = ['postgresql', 'upgrade'].map((log) =>
      nameWhere(devStack.doc, 'aws_cloudwatch_log_group', 'name', `/aws/rds/instance/workshop-backend-db/${log}`),
    );
    expect(body.depends_on).toEqual(groups.map((g) => `aws_cloudwatch_log_group.${g}`));
  });

  it('puts the dev instance in the Lambda AZ, single-AZ, removable without a snapshot', () => {
    const { body } = onlyResource(devStack.doc, 'aws_db_instance');
    expect(body).toMatchObject({ availability_zone: 'ap-southeast-1a', multi_az: false, deletion_protection: false, skip_final_snapshot: true });
    expect(body.final_snapshot_identifier).toBeUndefined();
  });

  it('makes prod Multi-AZ with deletion protection, a final snapshot, Performance Insights and the customer-managed key', () => {
    const key = ref('aws_kms_key', onlyResource(prodStack.doc, 'aws_kms_key').name, 'arn');
    const { body } = onlyResource(prodStack.doc, 'aws_db_instance');
    expect(body).toMatchObject({
      multi_az: true,
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'workshop-prod-backend-db-final-${formatdate("YYYYMMDDhhmmss", timestamp())}',
      backup_retention_period: 14,
      performance_insights_enabled: true,
      kms_key_id: key,
      master_user_secret_kms_key_id: key,
      performance_insights_kms_key_id: key,
    });
    expect(body.availability_zone).toBeUndefined();
  });

  it('names the final snapshot once per instance lifetime: the creation time, kept by ignore_changes', () => {
    const { body } = onlyResource(prodStack.doc, 'aws_db_instance');
    expect(body.final_snapshot_identifier).toMatch(/^workshop-prod-backend-db-final-\$\{formatdate\("YYYYMMDDhhmmss", timestamp\(\)\)\}$/);
    expect(body.lifecycle).toEqual({ ignore_changes: ['final_snapshot_identifier'] });
  });

  it('upgrades major versions in place and applies changes as the configuration says', () => {
    expect(onlyResource(devStack.doc, 'aws_db_instance').body).toMatchObject({
      allow_major_version_upgrade: true,
      apply_immediately: true,
      auto_minor_version_upgrade: true,
      engine_version: '17',
    });
    const pinned = synthStack(withField(withField(dev, 'database.engineVersion', '17.6'), 'database.autoMinorVersionUpgrade', false) as EnvironmentConfig);
    expect(onlyResource(pinned.doc, 'aws_db_instance').body).toMatchObject({ engine_version: '17.6', auto_minor_version_upgrade: false });
    const windowed = synthStack(withField(dev, 'database.applyImmediately', false) as EnvironmentConfig);
    expect(onlyResource(windowed.doc, 'aws_db_instance').body.apply_immediately).toBe(false);
  });

  it('places the DB subnet group on the data subnets of both AZs', () => {
    const group = onlyResource(devStack.doc, 'aws_db_subnet_group');
    const subnets = resourcesOf(devStack.doc, 'aws_subnet');
    const ids = (group.body.subnet_ids as string[]).map((id) => id.replace(/^\$\{aws_subnet\.(.+)\.id\}$/, '$1'));
    expect(ids.map((name) => [(subnets[name].tags as Record<string, string>).Name, subnets[name].availability_zone])).toEqual([
      ['workshop-backend-subnet-private3-ap-southeast-1a', 'ap-southeast-1a'],
      ['workshop-backend-subnet-private4-ap-southeast-1b', 'ap-southeast-1b'],
    ]);
    expect(onlyResource(devStack.doc, 'aws_db_instance').body.db_subnet_group_name).toBe(ref('aws_db_subnet_group', group.name, 'name'));
  });

  it('attaches a parameter group of the engine family, named by a prefix so a replacement never collides', () => {
    const { name: group, body } = onlyResource(devStack.doc, 'aws_db_parameter_group');
    expect(body).toMatchObject({ family: 'postgres17', name_prefix: 'workshop-backend-postgres17-' });
    expect(body.name).toBeUndefined();
    // A major version upgrade swaps in a group of the new family before the old one goes.
    expect(body.lifecycle).toEqual({ create_before_destroy: true });
    expect(onlyResource(devStack.doc, 'aws_db_instance').body.parameter_group_name).toBe(ref('aws_db_parameter_group', group, 'name'));
  });

  it('sets max_connections to database.maxConnections in the parameter group, applied at the next reboot (a static parameter)', () => {
    const maxConnections = (doc: typeof devStack.doc) =>
      (onlyResource(doc, 'aws_db_parameter_group').body.parameter as Record<string, unknown>[]).filter((p) => p.name === 'max_connections');
    expect(maxConnections(devStack.doc)).toEqual([{ name: 'max_connections', value: '80', apply_method: 'pending-reboot' }]);
    expect(maxConnections(prodStack.doc)).toEqual([{ name: 'max_connections', value: '400', apply_method: 'pending-reboot' }]);
    const custom = synthStack(withField(dev, 'database.maxConnections', 50) as EnvironmentConfig);
    expect(maxConnections(custom.doc)).toEqual([{ name: 'max_connections', value: '50', apply_method: 'pending-reboot' }]);
  });

  it('sets rds.force_ssl only for families whose default is 0 (before postgres15)', () => {
    const forceSsl = (doc: typeof devStack.doc) =>
      (onlyResource(doc, 'aws_db_parameter_group').body.parameter as Record<string, unknown>[]).filter((p) => p.name === 'rds.force_ssl');
    expect(forceSsl(devStack.doc)).toEqual([]);
    const pg14 = synthStack(withField(dev, 'database.engineVersion', '14') as EnvironmentConfig);
    expect(onlyResource(pg14.doc, 'aws_db_parameter_group').body).toMatchObject({
      family: 'postgres14',
      parameter: expect.arrayContaining([{ name: 'rds.force_ssl', value: '1', apply_method: 'immediate' }]),
    });
  });

  it('keeps the database security group description constant whatever the port; the rules carry the port', () => {
    const custom = synthStack(withField(dev, 'database.port', 6432) as EnvironmentConfig);
    const describe = (doc: typeof custom.doc) => resourcesOf(doc, 'aws_security_group')[nameWhere(doc, 'aws_security_group', 'name', 'workshop-db-sg')];
    expect(describe(custom.doc).description).toBe(DATABASE_SECURITY_GROUP_DESCRIPTION);
    expect(describe(devStack.doc).description).toBe(DATABASE_SECURITY_GROUP_DESCRIPTION);
    expect(describe(custom.doc).lifecycle).toEqual({ ignore_changes: ['description'] });
    expect(onlyResource(custom.doc, 'aws_db_instance').body.port).toBe(6432);
    expect(custom.json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { description: 'PostgreSQL (port 6432) from the Lambda', from_port: 6432 });
  });

  it('allows 5432 into the database only from the Lambda security group', () => {
    const dbSg = sg(devStack.doc, 'workshop-db-sg');
    const lambdaSg = sg(devStack.doc, 'workshop-lambda-sg');
    expect(onlyResource(devStack.doc, 'aws_db_instance').body.vpc_security_group_ids).toEqual([ref('aws_security_group', dbSg, 'id')]);
    const intoDb = Object.values(resourcesOf(devStack.doc, 'aws_vpc_security_group_ingress_rule')).filter(
      (r) => r.security_group_id === ref('aws_security_group', dbSg, 'id'),
    );
    expect(intoDb).toEqual([
      expect.objectContaining({ referenced_security_group_id: ref('aws_security_group', lambdaSg, 'id'), ip_protocol: 'tcp', from_port: 5432, to_port: 5432 }),
    ]);
    expect(devStack.json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: ref('aws_security_group', lambdaSg, 'id'),
      referenced_security_group_id: ref('aws_security_group', dbSg, 'id'),
      from_port: 5432,
    });
    expect(devStack.json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { description: 'PostgreSQL (port 5432) from the Lambda' });
    expect(devStack.json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { description: 'PostgreSQL (port 5432) to the database' });
    expect(devStack.json).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { description: 'HTTPS (port 443) from the Lambda' });
    expect(devStack.json).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, { description: 'HTTPS (port 443) to the Secrets Manager endpoint' });
  });
});
