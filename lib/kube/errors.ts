/**
 * Turns an API server error answer (a `Status` object) into a `KubeError` that names the
 * object first, keeps the HTTP status and reason, and carries a hint for the common cases.
 */

import { describeRef, isJsonObject, type ObjectRef } from '../core/object.ts';
import { KubeError } from '../errors.ts';
import type { KubeStatus } from './status.ts';
import { isTransientAnswer } from './transient.ts';

const hints: Record<number, string> = {
  401: 'the credential was refused: check the kubeconfig user or mint a fresh token',
  403: "the credential lacks RBAC permission for this: see infra/rbac/ for the deployer's role",
  404: 'the object or its API is missing: is the CRD installed and the namespace created?',
  409: 'another field manager owns these fields, or the object changed meanwhile: re-plan, or apply with force',
  422: 'the object is invalid for this API server: fix the manifest',
};

/** Where an API server message prints a value it was given, in Go syntax. */
const VALUE_SITES =
  /(?:(?:Invalid|Unsupported|Duplicate) value|Not found): |&value\.valueUnstructured\{Value:/g;

/** The end (exclusive) of the Go string literal starting at `start` (a `"`). */
function endOfQuoted(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}

/** The end of the Go composite literal (`map[…]…{…}`, `[]…{…}`) starting at `start`. */
function endOfComposite(text: string, start: number): number {
  // The literal's brace is the first one not in the type (`interface {}` has one of its own).
  let open = text.indexOf('{', start);
  while (open >= 0 && text.startsWith('interface {}', open - 'interface '.length)) {
    open = text.indexOf('{', open + 2);
  }
  let depth = 0;
  for (let i = open; i >= 0 && i < text.length; i++) {
    const c = text[i];
    if (c === '"') i = endOfQuoted(text, i) - 1;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return text.length;
}

/** The end of the Go value printed at `start`, and what kind of value it is. */
function goValueAt(text: string, start: number): { end: number; kind: string } {
  if (text[start] === '"') return { end: endOfQuoted(text, start), kind: 'string' };
  if (text.startsWith('map[', start)) return { end: endOfComposite(text, start), kind: 'map' };
  if (text.startsWith('[]', start)) return { end: endOfComposite(text, start), kind: 'list' };
  const stop = /[\s,:;}\])]/g;
  stop.lastIndex = start;
  const match = stop.exec(text);
  return { end: match ? match.index : text.length, kind: 'value' };
}

/**
 * An API server message without the values it echoes: validation messages print the value
 * they refused (`Invalid value: "…"`), and server-side apply prints whole decoded values
 * (`expected string, got &value.valueUnstructured{Value:map[…]{"inner":"…"}}`). Any object
 * may carry a decrypted value (replacements copy them anywhere), so this holds for every
 * kind; the field path and the reason, which say what to fix, stay.
 */
export function withoutValues(message: string): string {
  let out = '';
  let from = 0;
  for (const site of message.matchAll(VALUE_SITES)) {
    const at = (site.index ?? 0) + site[0].length;
    if (at < from) continue;
    const { end, kind } = goValueAt(message, at);
    if (site[0].startsWith('&')) {
      const close = message[end] === '}' ? end + 1 : end;
      out += `${message.slice(from, site.index)}${kind} (value hidden)`;
      from = close;
    } else {
      out += `${message.slice(from, at)}${kind === 'string' ? '"***"' : '***'}`;
      from = end;
    }
  }
  return out + message.slice(from);
}

/** The reason Kubernetes gives an HTTP status when a `Status` names none (`StatusReason`). */
const reasonsByStatus: Record<number, string> = {
  0: 'NoAnswer',
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function statusReason(status: number): string {
  return reasonsByStatus[status] ?? `HTTP${status}`;
}

/** A 500 that the object caused (a value of the wrong type) deserves the manifest hint. */
function objectFaultHint(status: number, parsed: KubeStatus | undefined): string | undefined {
  return status >= 500 && parsed && !isTransientAnswer(status, parsed)
    ? 'a field has a value of the wrong type for its schema: fix the manifest'
    : undefined;
}

/** Parses a response body as a `Status`, or `undefined` if it is not one. */
export function parseStatus(text: string): KubeStatus | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) && value.kind === 'Status' ? (value as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `isTransientAnswer` for a raw answer: the body is parsed as a `Status` only when the status
 * could make it matter (5xx), so a successful answer (a LIST of hundreds of objects, say) is
 * not parsed once here and again by its reader.
 */
export function isTransientResponse(status: number, text: string): boolean {
  return isTransientAnswer(status, status >= 500 ? parseStatus(text) : undefined);
}

/** Builds the error for a failed request: `<object>: <verb> failed (<status> <reason>): <message>`. */
export function kubeErrorOf(
  status: number,
  body: string,
  request: { verb: string; ref?: ObjectRef; path: string },
): KubeError {
  const parsed = parseStatus(body);
  const reason = parsed?.reason || statusReason(status);
  const subject = request.ref ? describeRef(request.ref) : request.path;
  const causes = (parsed?.details?.causes ?? [])
    .map((cause) => [cause.field, cause.message].filter(Boolean).join(': '))
    .filter(Boolean);
  const serverMessage = withoutValues(parsed?.message ?? body.slice(0, 300).trim());
  const detail = causes.length > 0 && status === 409 ? `; ${withoutValues(causes.join('; '))}` : '';
  return new KubeError(
    `${subject}: ${request.verb} failed (${status} ${reason}): ${serverMessage}${detail}`,
    status,
    reason,
    {
      hint: objectFaultHint(status, parsed) ?? hints[status],
      object: request.ref ? describeRef(request.ref) : undefined,
      transient: isTransientAnswer(status, parsed),
    },
  );
}

/** True for a `KubeError` with the given HTTP status. */
export function isKubeStatus(error: unknown, status: number): error is KubeError {
  return error instanceof KubeError && error.status === status;
}
