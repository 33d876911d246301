import { MockMonitor, type Mocks } from "@pulumi/pulumi/runtime/mocks";
import { providerUrn, redact } from "./serialized";

export interface ResourceOptionsRecord {
  protect: boolean;
  retainOnDelete: boolean;
  dependsOn: string[];
  provider?: string;
  deletedWith?: string;
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
type Callback = (err: unknown, response?: unknown) => void;

/**
 * The public mock callback sees a resource's type, name and inputs but not its options. The engine's register
 * request carries them (protect, retainOnDelete, dependsOn, provider, ...), so this monitor records each request
 * before handing it to the stock mock monitor. The plan's data-loss checks depend on seeing these options.
 */
export class RecordingMonitor extends MockMonitor {
  readonly recorded: RecordedResource[] = [];
  readonly outputsByUrn = new Map<string, Record<string, unknown>>();

  constructor(mocks: Mocks) {
    super(mocks);
  }

  override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const parent = req.getParent() || undefined;
    const provider = providerUrn(req.getProvider());
    const deletedWith = req.getDeletedwith() || undefined;
    await super.registerResource(req, (err: unknown, response?: unknown) => {
      if (!err && response) {
        const urn = (response as { getUrn(): string }).getUrn();
        this.recorded.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          ...(parent ? { parent } : {}),
          custom: req.getCustom(),
          read: false,
          inputs: redact(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
          options: {
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            dependsOn: [...req.getDependenciesList()].sort(),
            ...(provider ? { provider } : {}),
            ...(deletedWith ? { deletedWith } : {}),
            ignoreChanges: req.getIgnorechangesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          },
        });
      }
      callback(err, response);
    });
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
