import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHARTS, IMAGES } from "../components/versions";
import { RUNTIME_NODE_TARGET } from "../components/backup/runtime/bundle";
import { PROJECT_DIR } from "../infra/plan/stackFile";

const doc = readFileSync(join(PROJECT_DIR, "docs", "versions.md"), "utf8");

describe("docs/versions.md says which versions and why, for every pin in components/versions.ts", () => {
  it.each(Object.values(CHARTS))("chart $chart $version", (pin) => {
    expect(doc).toMatch(new RegExp(`\\| chart ${pin.chart}( \\([a-z-]+\\))? \\| ${pin.version.replace(/\./g, "\\.")} \\| .{20,} \\|`));
  });

  it.each(Object.values(IMAGES))("image $repository:$tag", (image) => {
    expect(doc).toContain(`| image ${image.registry}/${image.repository} | ${image.tag} |`);
  });

  it("pins are exact: semver charts, tags that are not `latest`", () => {
    for (const pin of Object.values(CHARTS)) expect(pin.version).toMatch(/^\d+\.\d+\.\d+$/);
    // Exact releases, optionally with variant suffixes (15.18-bookworm, v3.14.0-distroless, 3.14.6-slim-trixie).
    for (const image of Object.values(IMAGES)) expect(image.tag).toMatch(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9]+)*$/);
  });
});

describe("the backup runtime's Node.js", () => {
  it("is the one the tests run the bundle with (scripts/ensure-node.sh), and the major the bundle targets", () => {
    const installed = /STRATA_NODE_VERSION="([\d.]+)"/.exec(readFileSync(join(PROJECT_DIR, "scripts", "ensure-node.sh"), "utf8"))![1]!;
    expect(IMAGES.node.tag).toMatch(new RegExp(`^${installed.replace(/\./g, "\\.")}-`));
    expect(RUNTIME_NODE_TARGET).toBe(`node${installed.split(".")[0]}`);
  });
});
