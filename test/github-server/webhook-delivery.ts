/**
 * Signed webhook deliveries for tests: GitHub's own recorded example payloads
 * (`@octokit/webhooks-examples`) with the test's repository and commits substituted, signed
 * with `@octokit/webhooks-methods` exactly as GitHub signs them. Verification is never mocked.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import type { PushedCommit } from './git-repo.ts';

/** A delivery ready to POST: headers and the exact body bytes that were signed. */
export interface WebhookDelivery {
  headers: Record<string, string>;
  body: string;
  deliveryId: string;
}

type Payload = Record<string, unknown>;

interface ExampleDefinition {
  name: string;
  examples: Payload[];
}

const definitions = createRequire(import.meta.url)(
  '@octokit/webhooks-examples',
) as ExampleDefinition[];

/** A deep copy of GitHub's example payload of `event` that satisfies `match`. */
export function examplePayload(
  event: string,
  match: (payload: Payload) => boolean = () => true,
): Payload {
  const definition = definitions.find((d) => d.name === event);
  const example = definition?.examples.find(match);
  if (!example) throw new Error(`@octokit/webhooks-examples has no matching '${event}' example`);
  return structuredClone(example);
}

/** Signs `body` for `event` with `secret` and returns the delivery GitHub would send. */
export async function signedDelivery(
  event: string,
  body: string,
  secret: string,
  deliveryId: string = randomUUID(),
): Promise<WebhookDelivery> {
  return {
    deliveryId,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/plumbline-test',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'x-hub-signature-256': await sign(secret, body),
    },
  };
}

/** Points a payload's `repository` (and its owner) at `fullName`. */
function retarget(payload: Payload, fullName: string): void {
  const [owner, name] = fullName.split('/') as [string, string];
  const repository = payload.repository as Payload;
  const ownerJson = repository.owner as Payload;
  repository.name = name;
  repository.full_name = fullName;
  ownerJson.login = owner;
  ownerJson.name = owner;
}

const ZERO_SHA = '0'.repeat(40);

/** What a push delivery is about. */
export interface PushDeliveryOptions {
  secret: string;
  /** `owner/name`. */
  repo: string;
  /** Branch name (or a full ref such as `refs/tags/v1`). */
  branch: string;
  /** Sha before the push (all zeros for a new branch). */
  before: string;
  /** Sha after the push (all zeros for a deleted branch). */
  after: string;
  deliveryId?: string;
  /**
   * The pushed commits with their file lists (`TestGitRepo.pushedCommits` gives GitHub's);
   * default: the example's one commit, which adds `README.md` (outside every app).
   */
  commits?: readonly PushedCommit[];
  /** `forced` in the payload (default false). */
  forced?: boolean;
}

/** A signed `push` delivery built from GitHub's branch-push example. */
export async function pushDelivery(options: PushDeliveryOptions): Promise<WebhookDelivery> {
  const payload = examplePayload('push', (p) => String(p.ref).startsWith('refs/heads/'));
  const ref = options.branch.startsWith('refs/') ? options.branch : `refs/heads/${options.branch}`;
  retarget(payload, options.repo);
  payload.ref = ref;
  payload.before = options.before;
  payload.after = options.after;
  payload.created = options.before === ZERO_SHA;
  payload.deleted = options.after === ZERO_SHA;
  payload.forced = options.forced ?? false;
  payload.compare = `https://github.com/${options.repo}/compare/${options.before.slice(0, 12)}...${options.after.slice(0, 12)}`;
  const commits = payload.commits as Payload[];
  if (payload.deleted) {
    payload.commits = [];
    payload.head_commit = null;
  } else {
    if (options.commits) {
      const [example] = commits;
      payload.commits = options.commits.map((commit) => ({ ...example, ...commit }));
    } else {
      for (const commit of commits) commit.id = options.after;
    }
    if (payload.head_commit) (payload.head_commit as Payload).id = options.after;
  }
  return signedDelivery('push', JSON.stringify(payload), options.secret, options.deliveryId);
}

/** A signed `ping` delivery (sent when a webhook is created). */
export async function pingDelivery(secret: string, repo: string): Promise<WebhookDelivery> {
  const payload = examplePayload('ping', (p) => p.repository !== undefined);
  retarget(payload, repo);
  return signedDelivery('ping', JSON.stringify(payload), secret);
}

/** What a pull_request delivery is about, beyond the example's defaults. */
export interface PullRequestDeliveryOptions {
  number?: number;
  headSha?: string;
  headRef?: string;
  /** `owner/name` of the head repository (a fork when it differs from `repo`). */
  headRepo?: string;
  baseRef?: string;
  baseSha?: string;
  merged?: boolean;
  deliveryId?: string;
}

/** A signed `pull_request` delivery of `action` from GitHub's examples. */
export async function pullRequestDelivery(
  secret: string,
  repo: string,
  action = 'opened',
  options: PullRequestDeliveryOptions = {},
): Promise<WebhookDelivery> {
  // Recorded examples exist for some actions only; others reuse `opened` with the action set.
  const payload = structuredClone(
    definitions.find((d) => d.name === 'pull_request')?.examples.find((p) => p.action === action) ??
      examplePayload('pull_request', (p) => p.action === 'opened'),
  );
  payload.action = action;
  retarget(payload, repo);
  const pull = payload.pull_request as Payload;
  const head = pull.head as Payload;
  const base = pull.base as Payload;
  if (options.number !== undefined) {
    payload.number = options.number;
    pull.number = options.number;
  }
  if (options.headSha) head.sha = options.headSha;
  if (options.headRef) head.ref = options.headRef;
  if (options.baseSha) base.sha = options.baseSha;
  if (options.baseRef) base.ref = options.baseRef;
  const headRepo = head.repo as Payload | null;
  if (headRepo) headRepo.full_name = options.headRepo ?? repo;
  const baseRepo = base.repo as Payload | null;
  if (baseRepo) baseRepo.full_name = repo;
  if (action === 'closed') {
    pull.state = 'closed';
    pull.merged = options.merged ?? false;
  }
  return signedDelivery('pull_request', JSON.stringify(payload), secret, options.deliveryId);
}
