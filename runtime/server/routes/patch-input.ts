/**
 * A patch given by a client: a Patchbay patch (`patch`) or a Scope graph (`graph`), as they
 * appear in `initialParameters` and `/session/start`.
 */
import { parsePatch, patchErrors, scopeGraphToPatch, type Patch } from '../../../patches';
import { HttpError } from '../context';
import { isJsonObject } from '../../json';

/** A validated Patchbay patch from a request value; HttpError(400) with the issues when wrong. */
export function validatedPatch(value: unknown, where: string): Patch {
  const result = parsePatch(value);
  if (!result.ok) throw new HttpError(400, `${where} is not a valid patch: ${describeIssues(result.issues)}`);
  const errors = patchErrors(result.issues);
  if (errors.length) throw new HttpError(400, `${where} has errors: ${describeIssues(errors)}`);
  return result.patch;
}

function describeIssues(issues: readonly { pathText: string; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.pathText || '(root)'}: ${i.message}`)
    .join('; ');
}

/** The patch a request names (`patch` or `graph`), or null when it names none. */
export function patchFromRequest(body: Record<string, unknown>): Patch | null {
  if (body.patch !== undefined) return validatedPatch(body.patch, '"patch"');
  if (body.graph !== undefined) {
    if (!isJsonObject(body.graph)) throw new HttpError(400, '"graph" must be an object');
    return graphToPatch(body.graph);
  }
  return null;
}

/** Scope graph wire form → Patchbay patch, through the patches converter; 400 naming the problems. */
export function graphToPatch(graph: Record<string, unknown>): Patch {
  const result = scopeGraphToPatch(graph, { name: 'Scope graph', appVersion: '0.1.0' });
  if (!result.ok)
    throw new HttpError(400, `"graph" is not a valid Scope graph: ${describeIssues(result.issues)}`);
  const errors = patchErrors(result.issues);
  if (errors.length) throw new HttpError(400, `"graph" has errors: ${describeIssues(errors)}`);
  return result.patch;
}
