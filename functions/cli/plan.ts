/**
 * `plumbline plan <dir>`: renders an app from a local directory and shows what applying it to
 * a kubeconfig context would change. Exit codes follow `kubectl diff`: 0 no change, 1 changes
 * or drift (fields another manager changed, which the apply takes back), 2 an error (the plan
 * failed, or the apply would fail or refuse: a dry-run error, a refused prune).
 */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppInput } from '../../lib/desired/app-input.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { planApp } from '../../lib/plan/plan.ts';
import { renderApp } from '../../lib/render/index.ts';
import { reportJson } from '../../lib/report/json.ts';
import { planMarkdown } from '../../lib/report/markdown.ts';
import { redacted } from '../../lib/report/redacted.ts';
import { planText } from '../../lib/report/text.ts';
import { redactError, SecretLedger } from '../../lib/secrets/secret-ledger.ts';
import { DirectoryFileTree } from '../node/directory-tree.ts';
import { helmSupportFromEnv } from '../node/helm-support.ts';
import { nodeKubeClient } from '../node/kube-transport.ts';
import { loadKubeconfig } from '../node/kubeconfig.ts';
import { sopsDecryptorFromEnv } from '../node/sops-env.ts';
import { checkoutRevision } from './checkout-revision.ts';
import type { CommandMain } from './command.ts';

/** Options shared by `plan` and `apply`. */
export const clusterOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  app: { type: 'string' },
  revision: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'text' },
  'fail-on-conflict': { type: 'boolean', default: false },
  'force-conflicts': { type: 'boolean', default: false },
  'prune-contents': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The help text of the shared options. */
export const clusterOptionsHelp = [
  '  --kubeconfig PATH     kubeconfig file (default: $KUBECONFIG or ~/.kube/config)',
  '  --context NAME        kubeconfig context (default: the current one)',
  '  -n, --namespace NS    app namespace (default: the context namespace, else default)',
  '  --app NAME            app name: the ApplySet parent Secret (default: directory name)',
  '  --revision REV        revision recorded (default: git HEAD of the directory)',
  '  -o, --output FORMAT   text, markdown or json',
  '  --fail-on-conflict    fail when another field manager changed fields Git declares',
  '                        (default: take them back; fields Git leaves out are never touched)',
  '  --force-conflicts     the default; kept for scripts that pass it',
  '  --prune-contents      allow pruning a CRD or Namespace that holds objects outside the app',
].join('\n');

/**
 * Renders the directory and connects to the cluster: what `plan` and `apply` both need. Every
 * value decrypted goes into `ledger`, which the command applies to all it prints.
 */
export async function prepare(
  dir: string,
  values: {
    kubeconfig?: string;
    context?: string;
    namespace?: string;
    app?: string;
    revision?: string;
  },
  ledger: SecretLedger,
): Promise<{ input: AppInput & { digest: string }; client: KubeClient }> {
  const root = resolve(dir);
  const access = await loadKubeconfig({ path: values.kubeconfig, context: values.context });
  const rendered = await renderApp(new DirectoryFileTree(root), '.', {
    decryptor: ledger.watch(sopsDecryptorFromEnv(process.env)),
    // A trusted operator's command: an unrecorded chart is shown, not refused (lock records it).
    helm: helmSupportFromEnv(process.env, { lock: 'record' }),
  });
  const namespace = values.namespace ?? access.namespace ?? 'default';
  const app = values.app ?? basename(root);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(app)) {
    throw new ConfigError(`--app ${app}: not a valid object name`, {
      hint: 'use lower-case letters, digits and dashes',
    });
  }
  return {
    input: {
      app,
      namespace,
      objects: rendered.objects,
      revision: values.revision ?? checkoutRevision(root),
      sensitive: new Set(rendered.sensitive),
      secrets: ledger,
      digest: rendered.digest,
    },
    client: nodeKubeClient(access),
  };
}

/** Checks the output flag. */
export function outputFormat(value: string | undefined): 'text' | 'markdown' | 'json' {
  if (value === 'text' || value === 'markdown' || value === 'json') return value;
  throw new ConfigError(`--output ${value}: expected text, markdown or json`);
}

/** Entry point. */
export const main: CommandMain = async (args, io) => {
  const { values, positionals } = parseArgs({
    args,
    options: clusterOptions,
    allowPositionals: true,
  });
  if (values.help || positionals.length !== 1) {
    (values.help ? io.stdout : io.stderr)(
      `Usage: plumbline plan <dir> [options]\n\n${clusterOptionsHelp}\n\nExit codes: 0 no change, 1 changes or drift (the apply would take drifted fields back),\n2 error (including a change the apply would refuse or fail on).\n`,
    );
    return values.help ? 0 : 2;
  }
  const format = outputFormat(values.output);
  const ledger = new SecretLedger();
  try {
    const { input, client } = await prepare(positionals[0] as string, values, ledger);
    const plan = await planApp(input, client, undefined, {
      failOnConflict: values['fail-on-conflict'],
      pruneContents: values['prune-contents'],
    });
    const safe = redacted(plan, ledger);
    if (format === 'json') io.stdout(reportJson(safe));
    else if (format === 'markdown') io.stdout(planMarkdown(safe));
    else io.stdout(planText(safe, { colour: io.isTTY }));
    if (plan.summary.errors > 0) return 2;
    return plan.summary.create + plan.summary.update + plan.summary.delete > 0 ? 1 : 0;
  } catch (error) {
    throw redactError(error, ledger);
  }
};
