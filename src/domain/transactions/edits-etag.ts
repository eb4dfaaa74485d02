/**
 * Optimistic concurrency of the owner's edits: a transaction's `version` (transactions.edit_version,
 * bumped by every change of an owner field, by hand or by a rule) is its ETag, `"v<version>"`. A
 * PATCH with `If-Match` (or a `version` in its body) is applied only while the version is still the
 * one given; without either it is applied as it comes (last writer wins).
 */

/** The ETag of a transaction at `version` (a strong validator: the owner fields are exactly that version's). */
export function transactionEtag(version: number): string {
  return `"v${version}"`;
}

/**
 * The versions an If-Match header accepts: `*` (any: undefined), or the list of entity tags, weak or
 * strong (`W/"v3"`, `"v3"`, comma-separated). A tag that is not one of ours accepts no version, so the
 * precondition fails (412) rather than being ignored.
 */
export function versionsOfIfMatch(header: string): number[] | undefined {
  const tags = header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag !== '');
  if (tags.includes('*')) return undefined;
  const versions: number[] = [];
  for (const tag of tags) {
    const match = /^(?:W\/)?"v([1-9]\d{0,9})"$/.exec(tag);
    if (match) versions.push(Number(match[1]));
  }
  return versions;
}
