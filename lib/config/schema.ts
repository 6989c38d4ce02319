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

/** One entry of `apps`. */
export const AppSchema = z.strictObject({
  name: dnsLabel,
  path: repoPath,
  target: dnsLabel,
  namespace: dnsLabel,
  branch: z.optional(branchName),
  prune: z.optional(z.boolean()),
  selfHeal: z.optional(z.boolean()),
});

/** The whole file. */
export const RepoConfigSchema = z.strictObject({
  apps: z.array(AppSchema),
  allowForkPlans: z.optional(z.boolean()),
  /** Refused by the parser (see the module comment); any shape is accepted here. */
  targets: z.optional(z.unknown()),
});

/** The fields allowed in each object of the file, by the path pattern of that object. */
export const ALLOWED_FIELDS: Record<string, string[]> = {
  '': ['apps', 'allowForkPlans'],
  'apps[]': Object.keys(AppSchema.shape),
};
