import { z } from "zod";

// registry[:port]/repository, then a tag (never `latest`), a digest, or both (`repo:tag@sha256:...`, where the
// digest is what the runtime pulls and the tag is for people).
const REPOSITORY = /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why an image reference is not pinned, or undefined when it is. */
export function imagePinProblem(ref: string): string | undefined {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const named = at >= 0 ? ref.slice(0, at) : ref;
  if (digest !== undefined && !DIGEST.test(digest)) return "has a digest that is not sha256:<64 lowercase hex digits>";
  const lastSlash = named.lastIndexOf("/");
  const colon = named.indexOf(":", lastSlash + 1);
  const repository = colon >= 0 ? named.slice(0, colon) : named;
  const tag = colon >= 0 ? named.slice(colon + 1) : undefined;
  if (!REPOSITORY.test(repository)) return "must name registry/repository (lowercase, e.g. docker.io/library/rabbitmq)";
  if (tag !== undefined && !TAG.test(tag)) return "has a tag that is not a valid image tag";
  if (tag === undefined && digest === undefined) return "must be pinned: add a tag (not latest) or a digest";
  if (tag === "latest" && digest === undefined) return "must be pinned: `latest` moves; use a version tag or a digest";
  return undefined;
}

/**
 * A configurable image: `registry/repo:tag`, `registry/repo:tag@sha256:<64 hex>` or `registry/repo@sha256:<64 hex>`.
 * Describe it where it is used (after `.optional()`, so the reference shows the description).
 */
export const pinnedImage = () =>
  z
    .string()
    .max(512)
    .superRefine((ref, ctx) => {
      const problem = imagePinProblem(ref);
      if (problem) ctx.addIssue({ code: "custom", message: `${problem}; allowed: registry/repository:tag, registry/repository:tag@sha256:<64 hex> or registry/repository@sha256:<64 hex>` });
    });
