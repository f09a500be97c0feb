/**
 * The minimum ACLs of an application that uses kafkajs-dr (docs/acls.md lists the same, with the
 * reasons), as data: the security test grants exactly these to the bed's `dr-app` user and runs a
 * producer and consumer failover with them. Naming follows MirrorMaker 2's default policy
 * (`<source>.<topic>` for a copy).
 */
import kafkajs, { type AclEntry, type Admin } from 'kafkajs'

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs

/** What the application uses. */
export interface AppResources {
  /** Every cluster's name. */
  clusters: readonly string[]
  /** Logical topics the application produces to or consumes. */
  topics: readonly string[]
  /** Its consumer groups. */
  groups: readonly string[]
  /** The checkpoint topic (`checkpoint.topic`, default `kafkajs-dr.checkpoints`). */
  checkpointTopic: string
}

/** Operations on a topic or group, as Kafka names them. */
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS'

/** One rule on one cluster: a resource (literal name or prefix) and the operations allowed on it. */
export interface AclRule {
  resourceType: 'TOPIC' | 'GROUP'
  pattern: 'LITERAL' | 'PREFIXED'
  name: string
  operations: AclOperation[]
  /** Why the library needs it (docs/acls.md says the same). */
  why: string
}

/** Prefix of the library's own short-lived consumer groups (checkpoint readers and followers). */
export const LIBRARY_GROUP_PREFIX = 'kafkajs-dr-'

/** The rules for one cluster (`cluster`): the same on every cluster, with the other clusters' copies. */
export function minimumAcls(app: AppResources, cluster: string): AclRule[] {
  const others = app.clusters.filter((c) => c !== cluster)
  const rules: AclRule[] = []
  for (const topic of app.topics) {
    rules.push({
      resourceType: 'TOPIC',
      pattern: 'LITERAL',
      name: topic,
      operations: ['WRITE', 'READ', 'DESCRIBE_CONFIGS'],
      why: 'produce; consume; translation checks message.timestamp.type',
    })
    for (const other of others)
      rules.push({
        resourceType: 'TOPIC',
        pattern: 'LITERAL',
        name: `${other}.${topic}`,
        operations: ['READ', 'DESCRIBE_CONFIGS'],
        why: `consume ${other}'s copy; translation checks message.timestamp.type`,
      })
  }
  rules.push({
    resourceType: 'TOPIC',
    pattern: 'LITERAL',
    name: app.checkpointTopic,
    operations: ['WRITE', 'READ', 'CREATE'],
    why: 'write and read checkpoints; create the topic where it is missing',
  })
  for (const other of others) {
    rules.push({
      resourceType: 'TOPIC',
      pattern: 'LITERAL',
      name: `${other}.${app.checkpointTopic}`,
      operations: ['READ'],
      why: `read ${other}'s checkpoints (replicated)`,
    })
    rules.push({
      resourceType: 'TOPIC',
      pattern: 'LITERAL',
      name: `${other}.checkpoints.internal`,
      operations: ['READ'],
      why: `MirrorMaker 2's checkpoints of ${other} (the mm2 translator)`,
    })
    rules.push({
      resourceType: 'TOPIC',
      pattern: 'LITERAL',
      name: `${other}.heartbeats`,
      operations: ['DESCRIBE'],
      why: `replication lag of ${other} -> ${cluster} (ListOffsets on MirrorMaker 2's heartbeats)`,
    })
  }
  for (const group of app.groups)
    rules.push({
      resourceType: 'GROUP',
      pattern: 'LITERAL',
      name: group,
      operations: ['READ'],
      why: 'join, commit, fetch and commit translated offsets, describe',
    })
  rules.push({
    resourceType: 'GROUP',
    pattern: 'PREFIXED',
    name: LIBRARY_GROUP_PREFIX,
    operations: ['READ'],
    why: "the library's own throw-away groups that read checkpoint topics (kafkajs has no group-less consumer)",
  })
  return rules
}

/** The rules as kafkajs ACL entries for `principal` (`User:dr-app`). */
export function aclEntries(rules: readonly AclRule[], principal: string): AclEntry[] {
  return rules.flatMap((rule) =>
    rule.operations.map((operation) => ({
      resourceType: AclResourceTypes[rule.resourceType],
      resourceName: rule.name,
      resourcePatternType: ResourcePatternTypes[rule.pattern],
      principal,
      host: '*',
      operation: AclOperationTypes[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  )
}

/** Grants the minimum ACLs of `app` to `principal` on `cluster` (with an admin that may). */
export async function grantMinimumAcls(admin: Admin, app: AppResources, cluster: string, principal: string): Promise<number> {
  const acl = aclEntries(minimumAcls(app, cluster), principal)
  await admin.createAcls({ acl })
  return acl.length
}
