import { MockMonitor, type Mocks } from "@pulumi/pulumi/runtime/mocks";
import type { ResourceTransform } from "@pulumi/pulumi/resource";
import { deserializeProperties, serializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { providerUrn, redact, UNKNOWN_WIRE_VALUE } from "./serialized";

export interface ResourceOptionsRecord {
  protect: boolean;
  retainOnDelete: boolean;
  dependsOn: string[];
  provider?: string;
  deletedWith?: string;
  /** Pulumi's `import` option: the id of an existing resource the program adopts instead of creating (issue 22). */
  import?: string;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
}

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  custom: boolean;
  /** true for resources Pulumi reads rather than manages (e.g. StackReference). */
  read: boolean;
  inputs: Record<string, unknown>;
  options: ResourceOptionsRecord;
}

// The protobuf request types are not exported with useful typings; these are the accessors we rely on.
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDependenciesList(): string[];
  getProvider(): string;
  getDeletedwith(): string;
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getImportid(): string;
  getTransformsList(): TransformRef[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface ReadRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getProperties(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface TransformRef {
  getToken(): string;
}
type Callback = (err: unknown, response?: unknown) => void;

interface StockMonitorInternals {
  newUrn(parent: string, type: string, name: string): string;
  transformCallbacks: Map<string, ResourceTransform>;
  resources: Map<string, { urn: string; id: string | null; state: unknown }>;
}

/** The wire form of a property map, behind the one accessor the SDK's deserializer calls on a protobuf Struct. */
const wireStruct = (value: Record<string, unknown>) => ({ toJavaScript: () => value });

/**
 * The mocks' state in wire form. Most of a resource's state is its inputs handed back unchanged (the very objects
 * the request deserialized to), and their wire form is the request's own; serializing them again walked every
 * leaf of every CronJob a second time. Only the rest is serialized. An input holding an unknown value is
 * serialized too: deserializing drops unknowns, so its wire form would differ.
 */
async function serializedState(state: Record<string, unknown>, inputs: Record<string, unknown>, wire: Record<string, unknown>): Promise<Record<string, unknown>> {
  const unchanged = (key: string) => key in inputs && state[key] !== undefined && state[key] === inputs[key] && !holdsUnknown(wire[key]);
  const rest = Object.fromEntries(Object.entries(state).filter(([key]) => !unchanged(key)));
  const serializedRest = (await serializeProperties("", rest)) as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(state)) {
    if (unchanged(key)) result[key] = wire[key];
    else if (key in serializedRest) result[key] = serializedRest[key];
  }
  return result;
}

function holdsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_WIRE_VALUE) return true;
  if (Array.isArray(value)) return value.some(holdsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsUnknown);
  return false;
}

/**
 * The engine's answer to a registration, shaped like the protobuf response the SDK reads (the SDK builds the same
 * duck-typed shape itself when it runs without an engine). The state stays a JavaScript object: converting it to a
 * protobuf Struct only for the SDK to convert it straight back was about a tenth of a 100-target plan's time.
 */
function registeredResponse(urn: string, id: string, state: Record<string, unknown>) {
  return {
    getUrn: () => urn,
    getId: () => id,
    getObject: () => wireStruct(state),
    getPropertydependenciesMap: () => undefined,
    getResult: () => 0,
    getUnknown: () => false,
  };
}

/**
 * The public mock callback sees a resource's type, name and inputs but not its options. The engine's register
 * request carries them (protect, retainOnDelete, dependsOn, provider, ...), so this monitor records each request
 * as it answers it. The plan's data-loss checks depend on seeing these options.
 *
 * Registration is answered here rather than by the stock MockMonitor, with the same steps (transforms, the mocks'
 * newResource, the URN, the serialized state kept for lookups), but reading the request's properties once and
 * answering without a protobuf round trip. test/planMonitor.test.ts holds it to the plans StockAnsweringMonitor makes.
 */
export class RecordingMonitor extends MockMonitor {
  readonly recorded: RecordedResource[] = [];
  readonly outputsByUrn = new Map<string, Record<string, unknown>>();

  // Members of the stock monitor its typings mark private; checked here so an SDK upgrade fails loudly.
  private readonly stock: StockMonitorInternals;

  constructor(mocks: Mocks) {
    super(mocks);
    this.stock = this as unknown as StockMonitorInternals;
    if (typeof this.stock.newUrn !== "function" || !(this.stock.transformCallbacks instanceof Map) || !(this.stock.resources instanceof Map)) {
      throw new Error("infra/plan/recordingMonitor.ts: @pulumi/pulumi's MockMonitor no longer has newUrn, transformCallbacks and resources");
    }
  }

  override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    try {
      const wire = req.getObject()?.toJavaScript() ?? {};
      const custom = req.getCustom();
      const transforms = req
        .getTransformsList()
        .map((ref) => this.stock.transformCallbacks.get(ref.getToken()))
        .filter((transform): transform is ResourceTransform => transform !== undefined);
      const inputs = deserializeProperties(wireStruct(wire) as unknown as Parameters<typeof deserializeProperties>[0]);
      const result = await this.mocks.newResource({
        type: req.getType(),
        name: req.getName(),
        inputs,
        provider: req.getProvider(),
        custom,
        id: req.getImportid(),
        transforms,
      });
      const urn = this.stock.newUrn(req.getParent(), req.getType(), req.getName());
      const state = await serializedState(result.state as Record<string, unknown>, inputs, wire);
      this.stock.resources.set(urn, { urn, id: result.id ?? null, state });
      this.recorded.push(recordRegistration(req, urn, wire));
      callback(null, registeredResponse(urn, result.id || "", state));
    } catch (err) {
      callback(err, undefined);
    }
  }

  override async readResource(req: ReadRequest, callback: Callback): Promise<void> {
    const parent = req.getParent() || undefined;
    const provider = providerUrn(req.getProvider());
    await super.readResource(req, (err: unknown, response?: unknown) => {
      if (!err && response) {
        this.recorded.push({
          urn: (response as { getUrn(): string }).getUrn(),
          type: req.getType(),
          name: req.getName(),
          ...(parent ? { parent } : {}),
          custom: true,
          read: true,
          inputs: redact(req.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
          options: {
            protect: false,
            retainOnDelete: false,
            dependsOn: [...req.getDependenciesList()].sort(),
            ...(provider ? { provider } : {}),
            ignoreChanges: [],
            additionalSecretOutputs: [],
          },
        });
      }
      callback(err, response);
    });
  }

  override registerResourceOutputs(req: OutputsRequest, callback: Callback): void {
    this.outputsByUrn.set(req.getUrn(), redact(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
    super.registerResourceOutputs(req, callback);
  }
}

/** What the plan records of one registration: the request's type, name, parent, options and redacted inputs. */
function recordRegistration(req: RegisterRequest, urn: string, wire: Record<string, unknown>): RecordedResource {
  const parent = req.getParent() || undefined;
  const provider = providerUrn(req.getProvider());
  const deletedWith = req.getDeletedwith() || undefined;
  const importId = req.getImportid() || undefined;
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    ...(parent ? { parent } : {}),
    custom: req.getCustom(),
    read: false,
    inputs: redact(wire) as Record<string, unknown>,
    options: {
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      dependsOn: [...req.getDependenciesList()].sort(),
      ...(provider ? { provider } : {}),
      ...(deletedWith ? { deletedWith } : {}),
      ...(importId ? { import: importId } : {}),
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    },
  };
}

/** Records like RecordingMonitor but lets the SDK's own MockMonitor answer: the reference the plan is tested against. */
export class StockAnsweringMonitor extends RecordingMonitor {
  override registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const stock = MockMonitor.prototype.registerResource as (this: MockMonitor, req: unknown, cb: Callback) => Promise<void>;
    return stock.call(this, req, (err, response) => {
      if (!err && response) this.recorded.push(recordRegistration(req, (response as { getUrn(): string }).getUrn(), req.getObject()?.toJavaScript() ?? {}));
      callback(err, response);
    });
  }
}
