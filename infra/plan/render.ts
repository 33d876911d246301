import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import type { Plan } from "./harness";

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/**
 * Writes what `helm template` and `kubectl diff` need elsewhere: every Kubernetes object as YAML under
 * `k8s/<namespace>/`, and each Helm release's values as `<release>.values.yaml` with its chart and version beside.
 */
export function writeManifests(plan: Plan, dir: string): string[] {
  const written: string[] = [];
  const write = (path: string, content: string) => {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
    written.push(path);
  };
  for (const r of plan.resources) {
    if (!r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:")) continue;
    if (r.type === HELM_RELEASE) {
      const release = String(r.inputs.name ?? r.name);
      write(join(dir, `${safe(release)}.values.yaml`), yaml.dump(r.inputs.values ?? {}, { noRefs: true, sortKeys: false, lineWidth: 160 }));
      const chart = { release, namespace: r.inputs.namespace, chart: r.inputs.chart, version: r.inputs.version, repository: (r.inputs.repositoryOpts as { repo?: string } | undefined)?.repo };
      write(join(dir, `${safe(release)}.chart.yaml`), yaml.dump(chart));
      continue;
    }
    const object = r.inputs as { kind?: string; metadata?: { name?: string; namespace?: string } };
    const kind = object.kind ?? r.type.split(":").at(-1)!;
    const namespace = object.metadata?.namespace ?? "_cluster";
    const name = object.metadata?.name ?? r.name;
    write(join(dir, "k8s", safe(namespace), `${safe(kind)}-${safe(name)}.yaml`), yaml.dump(r.inputs, { noRefs: true, lineWidth: 160 }));
  }
  return written;
}

export function writePlanJson(plan: Plan, file: string): void {
  writeFileSync(file, JSON.stringify(plan, null, 2) + "\n");
}
