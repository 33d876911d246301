import type { Plan } from "./harness";
import type { RecordedResource } from "./recordingMonitor";

/**
 * Pulumi's bulk-import file (`pulumi import --file FILE`), as the CLI reads it (pulumi/pulumi
 * pkg/cmd/pulumi/operations/import.go, `importFile` and `importSpec`; documented under "Bulk import operations" of
 * Pulumi's import guide): `resources` to import, each with its type token, a name, the provider's import id and,
 * by reference into `nameTable`, its parent and provider; `logicalName` is the resource's Pulumi name when `name`
 * has to differ from it (names must be unique in the file, Pulumi names only per type and parent).
 */
export interface ImportFile {
  nameTable: Record<string, string>;
  resources: ImportSpec[];
}

export interface ImportSpec {
  type: string;
  name: string;
  id: string;
  parent?: string;
  provider?: string;
  logicalName?: string;
}

/** The last segment of a URN is the resource's name; the type chain sits before it. */
const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** Every resource the plan adopts (declared with Pulumi's `import` option), in the file `pulumi import --file` reads. */
export function importFileOf(plan: Plan): ImportFile {
  const adopted = plan.resources.filter((r) => r.options.import !== undefined && !r.read);
  const nameTable: Record<string, string> = {};
  // One table name per URN; names are made unique and kept readable (the resource's own name, then its type).
  const tableNameOf = new Map<string, string>();
  const tableName = (urn: string, kind: string) => {
    const known = tableNameOf.get(urn);
    if (known) return known;
    let name = `${kind}-${urnName(urn)}`;
    for (let i = 2; name in nameTable; i++) name = `${kind}-${urnName(urn)}-${i}`;
    nameTable[name] = urn;
    tableNameOf.set(urn, name);
    return name;
  };
  const counts = new Map<string, number>();
  for (const r of adopted) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  const resources = adopted.map((r: RecordedResource): ImportSpec => {
    const unique = counts.get(r.name) === 1;
    // `type` is `pkg:module/resource:Resource`; its last part names the resource kind readably.
    const name = unique ? r.name : `${r.name}-${r.type.split(":").at(-1)!.toLowerCase()}`;
    const stackUrn = plan.resources.find((s) => s.type === "pulumi:pulumi:Stack")?.urn;
    return {
      type: r.type,
      name,
      id: r.options.import!,
      ...(r.parent && r.parent !== stackUrn ? { parent: tableName(r.parent, "parent") } : {}),
      ...(r.options.provider ? { provider: tableName(r.options.provider, "provider") } : {}),
      ...(unique ? {} : { logicalName: r.name }),
    };
  });
  return { nameTable, resources };
}
