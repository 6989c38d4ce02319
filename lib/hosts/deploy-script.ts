/**
 * The deploy script: one round trip that writes a `files` app's new set beside the old one,
 * validates it, swaps it in and reloads, and puts everything back when any step fails. It
 * runs under a lock (`.plumbline/<app>/lock`) and only if the inventory is still the one the
 * plan saw, so two deploys never interleave and a plan is never applied to a host that moved.
 *
 * Steps, each printed as `S <step> <file#>` so a failure can be traced to its file:
 *  1. prepare, lock, check the inventory (exit 10 locked, 11 inventory moved, 12 I/O error);
 *  2. receive the new files (a tar on stdin) and stage the whole new set in
 *     `.plumbline/<app>/staged.<id>`: new files from the tar, unchanged ones copied from the
 *     destination; every staged file's SHA-256 is checked (13: changed since the plan);
 *  3. validate: the trusted command, in the staged directory (20: refused);
 *  4. swap: each changed file is backed up, then renamed over the live one (`rename(2)`,
 *     atomic per file); removed files move to the backup; the new inventory goes in last
 *     (30: a step failed, everything rolled back);
 *  5. reload: the trusted command, in the destination; when it fails, everything is rolled
 *     back and reload runs again so the service matches the restored files (40; 41 when that
 *     reload fails too).
 * Staging, backups and the lock are removed on every exit. Commands' output comes back as
 * `B validate|reload|rereload` blobs.
 */
import { STATE_DIR } from './inventory.ts';
import { shellQuote } from './shell-quote.ts';
import { SHELL_PRELUDE } from './survey.ts';

/** A lock older than this is taken over (a deploy that died without cleaning up). */
export const STALE_LOCK_SECONDS = 900;

/** Exit codes of the deploy script. */
export const DEPLOY_EXIT = {
  locked: 10,
  inventoryMoved: 11,
  io: 12,
  changedSincePlan: 13,
  validate: 20,
  swap: 30,
  reload: 40,
  reloadAfterRollback: 41,
} as const;

/** Everything the script needs. */
export interface DeployScriptInput {
  destination: string;
  app: string;
  /** Random hex naming this run's staging and backup directories. */
  id: string;
  /** Hex SHA-256 of the inventory the plan saw, or `absent`. */
  expectedInventory: string;
  /** The files of the new set, in plan order; `send` ones come in the tar as `<index>`. */
  files: { path: string; mode: number; sha256: string; send: boolean }[];
  /** Owned files to remove (present on the host). */
  deletes: string[];
  /** Commands, with `{staged}` already replaced. */
  validate?: string;
  reload?: string;
}

/** Where a run stages the new set (what `{staged}` becomes). */
export function stagedDirectory(destination: string, app: string, id: string): string {
  return `${destination}/${STATE_DIR}/${app}/staged.${id}`;
}

/** The deploy script; see the module comment. */
export function deployScript(input: DeployScriptInput): string {
  const { files, deletes } = input;
  const mode = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  const lines: string[] = [
    'set -u',
    // Directories made for deployed files are readable by the service (0755); Plumbline's own
    // state, staging and backups are private (0700), every file gets its mode explicitly.
    'umask 022',
    `D=${shellQuote(input.destination)}`,
    `ST="$D/${STATE_DIR}/${input.app}"`,
    `ID=${input.id}`,
    'T="$ST/incoming.$ID"; N="$ST/staged.$ID"; B="$ST/backup.$ID"; L="$ST/lock"; O="$ST/output.$ID"',
    `VALIDATE=${shellQuote(input.validate ?? '')}`,
    `RELOAD=${shellQuote(input.reload ?? '')}`,
    `EXPECTED=${input.expectedInventory}`,
    'LOCKED=0',
    SHELL_PRELUDE,
    `AT=-
step() { echo "S $1 $2"; AT=$2; }
cleanup() { rm -rf "$T" "$N" "$B" "$O"; if [ "$LOCKED" = 1 ]; then rm -rf "$L"; fi; }
die() { echo "F $2 $3"; cleanup; exit "$1"; }
take_lock() {
  if mkdir "$L" 2>/dev/null; then LOCKED=1; date +%s > "$L/since"; return 0; fi
  since=$(cat "$L/since" 2>/dev/null || echo 0)
  now=$(date +%s)
  if [ $((now - since)) -gt ${STALE_LOCK_SECONDS} ]; then
    rm -rf "$L" && mkdir "$L" 2>/dev/null && LOCKED=1 && date +%s > "$L/since" && return 0
  fi
  return 1
}
stage_new() {
  step stage "$1"
  mkdir -p "$(dirname -- "$N/$2")" && mv -f "$T/$1" "$N/$2" && chmod "$3" "$N/$2" || die ${DEPLOY_EXIT.io} stage "$1"
  [ "$(hash_of "$N/$2")" = "$4" ] || die ${DEPLOY_EXIT.changedSincePlan} verify "$1"
}
stage_keep() {
  step stage "$1"
  mkdir -p "$(dirname -- "$N/$2")" && cp "$D/$2" "$N/$2" && chmod "$3" "$N/$2" || die ${DEPLOY_EXIT.io} stage "$1"
  [ "$(hash_of "$N/$2")" = "$4" ] || die ${DEPLOY_EXIT.changedSincePlan} verify "$1"
}
swap_write() {
  step swap "$1"
  f="$D/$2"
  if [ -e "$f" ]; then cp -p "$f" "$B/w$1" || return 1; else : > "$B/c$1" || return 1; fi
  mkdir -p "$(dirname -- "$f")" && mv -f "$N/$2" "$f"
}
swap_delete() {
  step prune "d$1"
  f="$D/$2"
  if [ -e "$f" ]; then mv -f "$f" "$B/d$1" || return 1; fi
}
undo_write() {
  if [ -f "$B/w$1" ]; then mv -f "$B/w$1" "$D/$2"; elif [ -f "$B/c$1" ]; then rm -f "$D/$2"; fi
}
undo_delete() {
  if [ -f "$B/d$1" ]; then mkdir -p "$(dirname -- "$D/$2")"; mv -f "$B/d$1" "$D/$2"; fi
}
run_command() { # name dir command
  ( cd "$2" && PLUMBLINE_STAGED="$N" sh -c "$3" ) > "$O" 2>&1 < /dev/null
}`,
  ];
  const changed = files.map((f, i) => ({ ...f, index: i })).filter((f) => f.send);
  // Undo in reverse order of the swap; each undo checks its own marker, so steps never
  // reached are no-ops.
  const undo = [
    'rollback() {',
    '  if [ -f "$B/inventory" ]; then mv -f "$B/inventory" "$ST/inventory.json"; elif [ -f "$B/no-inventory" ]; then rm -f "$ST/inventory.json"; fi',
    ...deletes.map((path, i) => `  undo_delete ${i} ${shellQuote(path)}`).reverse(),
    ...changed.map((f) => `  undo_write ${f.index} ${shellQuote(f.path)}`).reverse(),
    '  :',
    '}',
  ];
  lines.push(...undo);
  lines.push(
    'echo P1',
    'step prepare -',
    `{ mkdir -p "$D" && mkdir -p -m 700 "$D/${STATE_DIR}" && mkdir -p -m 700 "$ST"; } || die ${DEPLOY_EXIT.io} prepare -`,
    `take_lock || die ${DEPLOY_EXIT.locked} lock -`,
    'current=absent',
    'if [ -f "$ST/inventory.json" ]; then current=$(hash_of "$ST/inventory.json"); fi',
    `[ "$current" = "$EXPECTED" ] || die ${DEPLOY_EXIT.inventoryMoved} inventory -`,
    'step receive -',
    `mkdir -m 700 "$T" && tar -x -f - -C "$T" || die ${DEPLOY_EXIT.io} receive -`,
    `mkdir -m 700 "$N" || die ${DEPLOY_EXIT.io} stage -`,
    ...files.map(
      (f, i) =>
        `${f.send ? 'stage_new' : 'stage_keep'} ${i} ${shellQuote(f.path)} ${mode(f.mode)} ${f.sha256}`,
    ),
  );
  if (input.validate) {
    lines.push(
      'step validate -',
      'if ! run_command validate "$N" "$VALIDATE"; then',
      '  blob validate "$O"',
      `  die ${DEPLOY_EXIT.validate} validate -`,
      'fi',
    );
  }
  lines.push(
    'step swap -',
    `mkdir -m 700 "$B" || die ${DEPLOY_EXIT.io} swap -`,
    'if [ -f "$ST/inventory.json" ]; then cp -p "$ST/inventory.json" "$B/inventory"; else : > "$B/no-inventory"; fi',
    'swapped() {',
    ...changed.map((f) => `  swap_write ${f.index} ${shellQuote(f.path)} || return 1`),
    ...deletes.map((path, i) => `  swap_delete ${i} ${shellQuote(path)} || return 1`),
    '  step inventory -',
    '  mv -f "$T/inventory" "$ST/inventory.json"',
    '}',
    'if ! swapped; then',
    '  failed_at=$AT',
    '  rollback',
    `  die ${DEPLOY_EXIT.swap} swap "$failed_at"`,
    'fi',
  );
  if (input.reload) {
    lines.push(
      'step reload -',
      'if ! run_command reload "$D" "$RELOAD"; then',
      '  blob reload "$O"',
      '  step rollback -',
      '  rollback',
      '  if run_command reload "$D" "$RELOAD"; then blob rereload "$O"; die ' +
        `${DEPLOY_EXIT.reload} reload -; fi`,
      `  blob rereload "$O"; die ${DEPLOY_EXIT.reloadAfterRollback} reload -`,
      'fi',
    );
  }
  // Directories left empty by pruning go too; rmdir never removes one that holds anything.
  lines.push(
    ...deletes.map(
      (path) => `(cd "$D" && rmdir -p -- "$(dirname -- ${shellQuote(path)})" 2>/dev/null)`,
    ),
    'cleanup',
    'echo OK',
  );
  return `${lines.join('\n')}\n`;
}
