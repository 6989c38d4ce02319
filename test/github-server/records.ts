/**
 * What Plumbline reports to GitHub, as the test server stores it (pull requests, comments,
 * check runs, commit statuses, deployments, issues), and the REST representations built from
 * it. Shapes follow GitHub's OpenAPI description; `test/tools/github-server/` checks them.
 */

type Json = Record<string, unknown>;

/** A pull request the test opened on the server. */
export interface PullRecord {
  number: number;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  headRef: string;
  headSha: string;
  /** `owner/name` of the head repository (a fork when it differs). */
  headRepo: string;
  baseRef: string;
  baseSha: string;
  /** The merge commit, once merged. */
  mergeCommitSha?: string;
}

/** An issue or pull request comment. */
export interface CommentRecord {
  id: number;
  /** The issue or pull request number. */
  number: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

/** A check annotation as sent. */
export interface AnnotationRecord {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: string;
  message: string;
  title?: string;
}

/** A check run with every annotation sent to it. */
export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  annotations: AnnotationRecord[];
  startedAt: string;
  completedAt: string | null;
}

/** A commit status. */
export interface StatusRecord {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

/** A deployment and its statuses, in order. */
export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  createdAt: string;
  statuses: {
    id: number;
    state: string;
    description: string;
    logUrl?: string;
    createdAt: string;
  }[];
}

/** An issue. */
export interface IssueRecord {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

/** Everything reported to one repository. */
export interface RepoRecords {
  pulls: Map<number, PullRecord>;
  comments: CommentRecord[];
  checkRuns: CheckRunRecord[];
  statuses: StatusRecord[];
  deployments: DeploymentRecord[];
  issues: IssueRecord[];
}

/** Empty records. */
export function emptyRecords(): RepoRecords {
  return {
    pulls: new Map(),
    comments: [],
    checkRuns: [],
    statuses: [],
    deployments: [],
    issues: [],
  };
}

/** Where a repository is served: base URL, owner, name. */
export interface Where {
  baseUrl: string;
  owner: string;
  repo: string;
}

const api = (w: Where, rest: string) => `${w.baseUrl}/repos/${w.owner}/${w.repo}/${rest}`;
const html = (w: Where, rest: string) => `${w.baseUrl}/${w.owner}/${w.repo}/${rest}`;
const nodeId = (kind: string, id: number | string) =>
  Buffer.from(`${kind}:${id}`).toString('base64');

/** The `simple-user` of the server's single actor. */
export function userJson(baseUrl: string, login = 'plumbline[bot]'): Json {
  const url = `${baseUrl}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id: 1,
    node_id: nodeId('User', 1),
    avatar_url: `${baseUrl}/avatars/1`,
    gravatar_id: '',
    url,
    html_url: `${baseUrl}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: 'Bot',
    site_admin: false,
  };
}

/** A `repository` representation (pull request heads and bases). */
export function repositoryJson(baseUrl: string, fullName: string, fork: boolean): Json {
  const [owner = '', name = ''] = fullName.split('/');
  const w = { baseUrl, owner, repo: name };
  const url = `${baseUrl}/repos/${fullName}`;
  const t = (rest: string) => `${url}/${rest}`;
  return {
    id: 1000,
    node_id: nodeId('Repository', fullName),
    name,
    full_name: fullName,
    owner: userJson(baseUrl, owner),
    private: false,
    html_url: html(w, '').replace(/\/$/, ''),
    description: null,
    fork,
    url,
    archive_url: t('{archive_format}{/ref}'),
    assignees_url: t('assignees{/user}'),
    blobs_url: t('git/blobs{/sha}'),
    branches_url: t('branches{/branch}'),
    collaborators_url: t('collaborators{/collaborator}'),
    comments_url: t('comments{/number}'),
    commits_url: t('commits{/sha}'),
    compare_url: t('compare/{base}...{head}'),
    contents_url: t('contents/{+path}'),
    contributors_url: t('contributors'),
    deployments_url: t('deployments'),
    downloads_url: t('downloads'),
    events_url: t('events'),
    forks_url: t('forks'),
    git_commits_url: t('git/commits{/sha}'),
    git_refs_url: t('git/refs{/sha}'),
    git_tags_url: t('git/tags{/sha}'),
    git_url: `git://127.0.0.1/${fullName}.git`,
    issue_comment_url: t('issues/comments{/number}'),
    issue_events_url: t('issues/events{/number}'),
    issues_url: t('issues{/number}'),
    keys_url: t('keys{/key_id}'),
    labels_url: t('labels{/name}'),
    languages_url: t('languages'),
    merges_url: t('merges'),
    milestones_url: t('milestones{/number}'),
    notifications_url: t('notifications{?since,all,participating}'),
    pulls_url: t('pulls{/number}'),
    releases_url: t('releases{/id}'),
    ssh_url: `git@127.0.0.1:${fullName}.git`,
    stargazers_url: t('stargazers'),
    statuses_url: t('statuses/{sha}'),
    subscribers_url: t('subscribers'),
    subscription_url: t('subscription'),
    tags_url: t('tags'),
    teams_url: t('teams'),
    trees_url: t('git/trees{/sha}'),
    clone_url: `${baseUrl}/${fullName}.git`,
    mirror_url: null,
    hooks_url: t('hooks'),
    svn_url: `${baseUrl}/${fullName}`,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: 'main',
    open_issues_count: 0,
    open_issues: 0,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: null,
    created_at: null,
    updated_at: null,
  };
}

/** Fields of `pull-request-simple` (what list endpoints answer). */
const simplePullFields = new Set(
  'url id node_id html_url diff_url patch_url issue_url commits_url review_comments_url review_comment_url comments_url statuses_url number state locked title user body labels milestone active_lock_reason created_at updated_at closed_at merged_at merge_commit_sha assignee assignees requested_reviewers requested_teams head base _links author_association auto_merge draft'.split(
    ' ',
  ),
);

/** A `pull-request-simple` representation. */
export function pullSimpleJson(w: Where, pull: PullRecord, now: string): Json {
  return Object.fromEntries(
    Object.entries(pullJson(w, pull, now)).filter(([key]) => simplePullFields.has(key)),
  );
}

/** A `full-repository` representation (`GET /repos/{owner}/{repo}`). */
export function fullRepositoryJson(baseUrl: string, fullName: string, defaultBranch: string): Json {
  const stamp = '2026-01-01T00:00:00Z';
  return {
    ...repositoryJson(baseUrl, fullName, false),
    default_branch: defaultBranch,
    has_discussions: false,
    network_count: 0,
    subscribers_count: 0,
    pushed_at: stamp,
    created_at: stamp,
    updated_at: stamp,
  };
}

/** A `pull-request` representation. */
export function pullJson(w: Where, pull: PullRecord, now: string): Json {
  const self = api(w, `pulls/${pull.number}`);
  const base = `${w.owner}/${w.repo}`;
  const side = (ref: string, sha: string, fullName: string) => ({
    label: `${fullName.split('/')[0]}:${ref}`,
    ref,
    sha,
    repo: repositoryJson(w.baseUrl, fullName, fullName !== base),
    user: userJson(w.baseUrl, fullName.split('/')[0]),
  });
  const link = (href: string) => ({ href });
  return {
    url: self,
    id: 5000 + pull.number,
    node_id: nodeId('PullRequest', pull.number),
    html_url: html(w, `pull/${pull.number}`),
    diff_url: html(w, `pull/${pull.number}.diff`),
    patch_url: html(w, `pull/${pull.number}.patch`),
    issue_url: api(w, `issues/${pull.number}`),
    commits_url: `${self}/commits`,
    review_comments_url: `${self}/comments`,
    review_comment_url: api(w, 'pulls/comments{/number}'),
    comments_url: api(w, `issues/${pull.number}/comments`),
    statuses_url: api(w, `statuses/${pull.headSha}`),
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userJson(w.baseUrl, pull.headRepo.split('/')[0]),
    body: null,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: now,
    updated_at: now,
    closed_at: pull.state === 'closed' ? now : null,
    merged_at: pull.merged ? now : null,
    merge_commit_sha: pull.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.headRef, pull.headSha, pull.headRepo),
    base: side(pull.baseRef, pull.baseSha, base),
    _links: {
      self: link(self),
      html: link(html(w, `pull/${pull.number}`)),
      issue: link(api(w, `issues/${pull.number}`)),
      comments: link(api(w, `issues/${pull.number}/comments`)),
      review_comments: link(`${self}/comments`),
      review_comment: link(api(w, 'pulls/comments{/number}')),
      commits: link(`${self}/commits`),
      statuses: link(api(w, `statuses/${pull.headSha}`)),
    },
    author_association: 'OWNER',
    auto_merge: null,
    draft: false,
    merged: pull.merged,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0,
  };
}

/** An `issue-comment` representation. */
export function commentJson(w: Where, comment: CommentRecord): Json {
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: api(w, `issues/comments/${comment.id}`),
    html_url: html(w, `issues/${comment.number}#issuecomment-${comment.id}`),
    issue_url: api(w, `issues/${comment.number}`),
    body: comment.body,
    user: userJson(w.baseUrl),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: 'NONE',
  };
}

/** A `check-run` representation. */
export function checkRunJson(w: Where, run: CheckRunRecord): Json {
  return {
    id: run.id,
    node_id: nodeId('CheckRun', run.id),
    head_sha: run.headSha,
    name: run.name,
    external_id: null,
    url: api(w, `check-runs/${run.id}`),
    html_url: html(w, `runs/${run.id}`),
    details_url: null,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.title,
      summary: run.summary,
      text: run.text,
      annotations_count: run.annotations.length,
      annotations_url: api(w, `check-runs/${run.id}/annotations`),
    },
    check_suite: { id: 1 },
    app: null,
    pull_requests: [],
  };
}

/** A `status` representation. */
export function statusJson(w: Where, status: StatusRecord): Json {
  return {
    url: api(w, `statuses/${status.sha}`),
    avatar_url: null,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    creator: userJson(w.baseUrl),
  };
}

/** A `deployment` representation. */
export function deploymentJson(w: Where, deployment: DeploymentRecord): Json {
  const url = api(w, `deployments/${deployment.id}`);
  return {
    url,
    id: deployment.id,
    node_id: nodeId('Deployment', deployment.id),
    sha: deployment.sha,
    ref: deployment.ref,
    task: 'deploy',
    payload: {},
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description,
    creator: userJson(w.baseUrl),
    created_at: deployment.createdAt,
    updated_at: deployment.createdAt,
    statuses_url: `${url}/statuses`,
    repository_url: api(w, '').replace(/\/$/, ''),
    transient_environment: false,
    production_environment: false,
  };
}

/** A `deployment-status` representation. */
export function deploymentStatusJson(
  w: Where,
  deployment: DeploymentRecord,
  status: DeploymentRecord['statuses'][number],
): Json {
  const deploymentUrl = api(w, `deployments/${deployment.id}`);
  return {
    url: `${deploymentUrl}/statuses/${status.id}`,
    id: status.id,
    node_id: nodeId('DeploymentStatus', status.id),
    state: status.state,
    creator: userJson(w.baseUrl),
    description: status.description,
    environment: deployment.environment,
    target_url: status.logUrl ?? deploymentUrl,
    log_url: status.logUrl ?? deploymentUrl,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    deployment_url: deploymentUrl,
    repository_url: api(w, '').replace(/\/$/, ''),
  };
}

/** An `issue` representation. */
export function issueJson(w: Where, issue: IssueRecord): Json {
  const url = api(w, `issues/${issue.number}`);
  return {
    id: 7000 + issue.number,
    node_id: nodeId('Issue', issue.number),
    url,
    repository_url: api(w, '').replace(/\/$/, ''),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: html(w, `issues/${issue.number}`),
    number: issue.number,
    state: issue.state,
    title: issue.title,
    body: issue.body,
    user: userJson(w.baseUrl),
    labels: issue.labels.map((name, i) => ({
      id: i + 1,
      node_id: nodeId('Label', name),
      url: api(w, `labels/${encodeURIComponent(name)}`),
      name,
      description: null,
      color: 'd73a4a',
      default: false,
    })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: 0,
    closed_at: issue.closedAt,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    author_association: 'NONE',
  };
}
