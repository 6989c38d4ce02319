/**
 * `plumbline files plan|apply`: a `files` app of a local checkout, planned against or deployed
 * to its host, with the host bindings and secrets of the runtime settings (as `plumbline serve`
 * reads them). `plumbline files ca-key` prints the certificate authority line servers trust.
 * Exit codes: plan 0 no changes, 1 changes, 2 error; apply 0 deployed, 2 error.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRepoConfig, REPO_CONFIG_FILE } from '../../lib/config/parse-repo-config.ts';
import { secretKey } from '../../lib/config/runtime-settings.ts';
import { ConfigError } from '../../lib/errors.ts';
import { loadDesiredFiles } from '../../lib/hosts/desired-files.ts';
import { applyFilesPlan, type FilesAppInput, planFilesApp } from '../../lib/hosts/files-deploy.ts';
import { reachError } from '../../lib/hosts/files-flows.ts';
import { createHostAccess } from '../../lib/hosts/host-access.ts';
import { kmsCertificateAuthority } from '../../lib/hosts/kms-certificate-authority.ts';
import {
  renderFilesChangeSetText,
  renderFilesPlanMarkdown,
  renderFilesPlanText,
} from '../../lib/hosts/render-files.ts';
import { formatPublicKey, signerFromPrivateKey } from '../../lib/hosts/ssh/keys.ts';
import { MemorySecretStore } from '../../lib/ports/secret-store.ts';
import { DirectoryFileTree } from '../node/directory-tree.ts';
import { localHostShell } from '../node/local-host.ts';
import { loadSettings } from '../node/settings.ts';
import { sopsDecryptorFromEnv, sopsEnv } from '../node/sops-env.ts';
import { nodeDial } from '../node/ssh-socket.ts';
import { checkoutRevision } from './checkout-revision.ts';
import type { CliIo, CommandMain } from './command.ts';
import { outputFormat } from './plan.ts';

const HELP = `Usage: plumbline files plan|apply [DIR] --app NAME --repo OWNER/NAME [options]
       plumbline files ca-key (--kms-key-id ARN | --private-key FILE)

Plans or deploys a files app of the checkout DIR (default .) to the host its target names,
with the host bindings (targets of kind ssh or local) and secrets of the runtime settings.

Options:
  --app NAME            the files app of DIR/plumbline.yaml
  --repo OWNER/NAME     the repository, as the host binding lists it
  --config FILE         runtime settings file (as for plumbline serve)
  --revision REV        revision recorded (default: git HEAD of DIR)
  --allow-empty         allow deploying an empty set (removes every owned file)
  --allow-mass-prune    allow removing more than half of the owned files
  -o, --output FORMAT   text, markdown or json
  -h, --help            show this help

ca-key prints the certificate authority's public key line for TrustedUserCAKeys: from an AWS
KMS key (AWS_* credentials, AWS_ENDPOINT_URL_KMS) or from a private key file.

Exit codes: plan 0 no changes, 1 changes, 2 error; apply 0 deployed, 2 error.
`;

/** What tests inject. */
export interface FilesCommandOptions {
  env?: Record<string, string | undefined>;
}

/** Runs `plumbline files`. */
export async function filesCommand(
  args: string[],
  io: CliIo,
  options: FilesCommandOptions = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      app: { type: 'string' },
      repo: { type: 'string' },
      config: { type: 'string' },
      revision: { type: 'string' },
      'allow-empty': { type: 'boolean', default: false },
      'allow-mass-prune': { type: 'boolean', default: false },
      'kms-key-id': { type: 'string' },
      'private-key': { type: 'string' },
      output: { type: 'string', short: 'o', default: 'text' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  const [action, dirArg] = positionals;
  if (values.help || !action || !['plan', 'apply', 'ca-key'].includes(action)) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const env = options.env ?? process.env;
  if (action === 'ca-key') {
    const kms = sopsEnv(env).kms;
    if (values['kms-key-id']) {
      if (!kms)
        throw new ConfigError(
          'files ca-key: AWS credentials are needed (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
        );
      const ca = await kmsCertificateAuthority(values['kms-key-id'], kms);
      io.stdout(`${formatPublicKey(ca.publicKey)}\n`);
      return 0;
    }
    if (values['private-key']) {
      const ca = await signerFromPrivateKey(
        readFileSync(values['private-key'], 'utf8'),
        'plumbline-ca',
      );
      io.stdout(`${formatPublicKey(ca.publicKey)}\n`);
      return 0;
    }
    throw new ConfigError('files ca-key: name the CA with --kms-key-id ARN or --private-key FILE');
  }
  if (!values.app || !values.repo) {
    throw new ConfigError(`files ${action}: --app and --repo are required`, {
      hint: 'The host binding checks the repository; name the app of plumbline.yaml to deploy.',
    });
  }
  const format = outputFormat(values.output);
  const dir = resolve(dirArg ?? '.');
  const config = parseRepoConfig(
    readFileSync(resolve(dir, REPO_CONFIG_FILE), 'utf8'),
    REPO_CONFIG_FILE,
  );
  const app = config.apps.find((a) => a.name === values.app);
  if (app?.kind !== 'files') {
    throw new ConfigError(`${REPO_CONFIG_FILE}: no files app named '${values.app}'`, {
      hint: `Files apps here: ${
        config.apps
          .filter((a) => a.kind === 'files')
          .map((a) => a.name)
          .join(', ') || 'none'
      }.`,
    });
  }
  const settings = loadSettings({
    ...(values.config ? { file: values.config } : {}),
    env,
    flags: {},
  });
  const reconciler = sopsEnv(env);
  const access = createHostAccess({
    bindings: settings.targets,
    secrets: new MemorySecretStore(settings.secrets, secretKey),
    dial: nodeDial(),
    local: () => localHostShell(),
    ...(reconciler.kms ? { kms: reconciler.kms } : {}),
    runtime: 'the CLI',
  });
  const tree = new DirectoryFileTree(dir);
  const revision = values.revision ?? checkoutRevision(dir);
  const input: FilesAppInput = {
    repo: values.repo,
    app,
    host: app.target,
    revision,
    desired: await loadDesiredFiles(tree, app, sopsDecryptorFromEnv(env)),
  };
  const shell = await access.open(app.target, {
    repo: values.repo,
    app: app.name,
    destination: app.destination,
  });
  try {
    const planned = await planFilesApp(shell, input).catch((error: unknown) => {
      throw reachError(error, app.target, shell, app.name);
    });
    if (action === 'plan') {
      const { plan } = planned;
      if (format === 'json') io.stdout(`${JSON.stringify(plan, null, 2)}\n`);
      else if (format === 'markdown') io.stdout(renderFilesPlanMarkdown(plan));
      else io.stdout(renderFilesPlanText(plan));
      if (plan.summary.errors > 0) return 2;
      return plan.summary.create + plan.summary.update + plan.summary.delete > 0 ? 1 : 0;
    }
    const changes = await applyFilesPlan(shell, input, planned, {
      allowEmpty: values['allow-empty'],
      allowMassPrune: values['allow-mass-prune'],
    }).catch((error: unknown) => {
      throw reachError(error, app.target, shell, app.name);
    });
    io.stdout(
      format === 'json'
        ? `${JSON.stringify(changes, null, 2)}\n`
        : renderFilesChangeSetText(changes),
    );
    return changes.ok ? 0 : 2;
  } finally {
    await shell.close();
  }
}

/** `plumbline files`. */
export const main: CommandMain = (args, io) => filesCommand(args, io);
