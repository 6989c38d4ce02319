/**
 * The zod schema of `plumbline.yaml`, as written in the file. `parse-repo-config.ts` validates
 * against it once, turns issues into messages that name the field and line, and hands out the
 * typed `RepoConfig`; nothing inside Plumbline sees the raw YAML. Written with zod's
 * functional API (`z.optional`, `.check`) so it also runs under `zod/mini`.
 *
 * The file names targets; it never defines them. A `targets:` section (where servers and
 * credentials used to be written) is accepted by the schema only so that the parser can
 * refuse it with a message pointing at the runtime settings.
 */
import * as z from 'zod';
import { normalizePath } from '../source/file-tree.ts';
import { HELM_ALLOWED_FIELDS, HelmAppSourceSchema } from './helm-app-schema.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Kubernetes-style name: lowercase letters, digits and '-', at most 63 characters. */
const dnsLabel = z.string().check(
  z.regex(DNS_LABEL, {
    error:
      "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. 'web-api')",
  }),
);

const repoPath = z.string().check(
  z.refine(
    (value) => {
      try {
        normalizePath(value);
        return !value.startsWith('/');
      } catch {
        return false;
      }
    },
    {
      error:
        "must be a path relative to the repository root that stays inside it (e.g. 'apps/web')",
    },
  ),
);

const branchName = z.string().check(
  z.regex(/^(?!refs\/)(?!.*\.\.)(?!.*\/\/)[^\s~^:?*[\\]{1,255}$/, {
    error: "must be a branch name without 'refs/heads/' (e.g. 'main')",
  }),
);

/** One entry of `apps` deploying Kubernetes manifests (`kind: kubernetes`, the default). */
export const AppSchema = z.strictObject({
  kind: z.optional(z.literal('kubernetes')),
  name: dnsLabel,
  path: repoPath,
  target: dnsLabel,
  namespace: dnsLabel,
  branch: z.optional(branchName),
  prune: z.optional(z.boolean()),
  selfHeal: z.optional(z.boolean()),
  requireReviewedPlan: z.optional(z.boolean()),
  failOnConflict: z.optional(z.boolean()),
  pruneContents: z.optional(z.boolean()),
  /** A Helm chart rendered instead of the path's kustomization (see helm-app-schema.ts). */
  helm: z.optional(HelmAppSourceSchema),
});

/** A file mode written as an octal string, e.g. `'0644'`. */
const fileMode = z.string().check(
  z.regex(/^0?[0-7]{3}$/, {
    error:
      "must be an octal file mode in quotes, e.g. '0644' (unquoted, YAML reads 0644 as a number)",
  }),
);

/** An absolute directory on a host, of plain names, without `.` or `..` segments. */
const hostDirectory = z.string().check(
  z.refine(
    (value) =>
      /^(\/[A-Za-z0-9_+@][A-Za-z0-9._+@-]*)+\/?$/.test(value) &&
      !value.split('/').some((segment) => segment === '.' || segment === '..'),
    {
      error:
        "must be an absolute directory on the host made of plain names (e.g. '/etc/nginx'), not '/' itself",
    },
  ),
);

/** A command from trusted configuration; `{staged}` is the only substitution. */
const hostCommand = z.string().check(
  z.minLength(1, { error: 'must not be empty' }),
  z.refine((value) => !value.includes('\0'), { error: 'must not contain a NUL byte' }),
);

/** One entry of `apps` deploying files to a host (`kind: files`). */
export const FilesAppSchema = z.strictObject({
  kind: z.literal('files'),
  name: dnsLabel,
  path: repoPath,
  target: dnsLabel,
  destination: hostDirectory,
  mode: z.optional(fileMode),
  modes: z.optional(z.record(z.string().check(z.minLength(1)), fileMode)),
  validate: z.optional(hostCommand),
  reload: z.optional(hostCommand),
  branch: z.optional(branchName),
  prune: z.optional(z.boolean()),
  selfHeal: z.optional(z.boolean()),
  adopt: z.optional(z.boolean()),
});

/** An entry of `apps`: `kind` chooses the schema (an app without one is a Kubernetes app). */
export const AnyAppSchema = z.pipe(
  z.transform((value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('kind' in value)
      ? { kind: 'kubernetes', ...value }
      : value,
  ),
  z.discriminatedUnion(
    'kind',
    [z.strictObject({ ...AppSchema.shape, kind: z.literal('kubernetes') }), FilesAppSchema],
    { error: "kind must be 'kubernetes' (the default) or 'files'" },
  ),
);

/** The whole file. */
export const RepoConfigSchema = z.strictObject({
  apps: z.array(AnyAppSchema),
  allowForkPlans: z.optional(z.boolean()),
  /** Refused by the parser (see the module comment); any shape is accepted here. */
  targets: z.optional(z.unknown()),
});

/** The fields allowed in each object of the file, by the path pattern of that object. */
export const ALLOWED_FIELDS: Record<string, string[]> = {
  '': ['apps', 'allowForkPlans'],
  'apps[]': Object.keys(AppSchema.shape),
  'apps[] (files)': Object.keys(FilesAppSchema.shape),
  ...HELM_ALLOWED_FIELDS,
};
